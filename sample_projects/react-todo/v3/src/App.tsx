import { useEffect, useMemo, useState } from "react";
import type { Filter, Todo } from "./types";
import { TodoItem } from "./components/TodoItem";
import { AddTodo } from "./components/AddTodo";
import { Filters } from "./components/Filters";
import { load, persistent, save } from "./storage";

const STARTER: Todo[] = [
  { id: 1, text: "Sketch the gallery layout", done: true },
  { id: 2, text: "Write the snapshot format", done: false },
  { id: 3, text: "Bundle a React demo with esbuild", done: false },
  { id: 4, text: "Share the link with the team", done: false },
];

const KEY = "react-todo.items";

export function App() {
  const [todos, setTodos] = useState<Todo[]>(() => load(KEY, STARTER));
  const [filter, setFilter] = useState<Filter>("all");

  useEffect(() => save(KEY, todos), [todos]);

  const remaining = useMemo(() => todos.filter((t) => !t.done).length, [todos]);
  const visible = useMemo(
    () =>
      todos.filter((t) => (filter === "all" ? true : filter === "done" ? t.done : !t.done)),
    [todos, filter],
  );

  const add = (text: string) =>
    setTodos((list) => [...list, { id: Date.now(), text, done: false }]);
  const toggle = (id: number) =>
    setTodos((list) => list.map((t) => (t.id === id ? { ...t, done: !t.done } : t)));
  const remove = (id: number) => setTodos((list) => list.filter((t) => t.id !== id));
  const clearDone = () => setTodos((list) => list.filter((t) => !t.done));

  return (
    <main className="card">
      <header>
        <h1>Todo</h1>
        <p className="subtitle">
          {remaining} of {todos.length} left to do
        </p>
      </header>
      <AddTodo onAdd={add} />
      <Filters
        value={filter}
        onChange={setFilter}
        doneCount={todos.length - remaining}
        onClearDone={clearDone}
      />
      <ul className="todo-list">
        {visible.map((todo) => (
          <TodoItem key={todo.id} todo={todo} onToggle={toggle} onRemove={remove} />
        ))}
      </ul>
      {visible.length === 0 && (
        <p className="empty">{todos.length === 0 ? "Nothing here. Add your first task above." : "No tasks match this filter."}</p>
      )}
      <footer className="note">
        {persistent ? "Saved in this browser." : "Storage is unavailable here, so changes last until reload."}
      </footer>
    </main>
  );
}
