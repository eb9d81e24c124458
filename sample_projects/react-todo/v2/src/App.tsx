import { useMemo, useState } from "react";
import type { Todo } from "./types";
import { TodoItem } from "./components/TodoItem";
import { AddTodo } from "./components/AddTodo";

const STARTER: Todo[] = [
  { id: 1, text: "Sketch the gallery layout", done: true },
  { id: 2, text: "Write the snapshot format", done: false },
  { id: 3, text: "Bundle a React demo with esbuild", done: false },
  { id: 4, text: "Share the link with the team", done: false },
];

export function App() {
  const [todos, setTodos] = useState<Todo[]>(STARTER);
  const remaining = useMemo(() => todos.filter((t) => !t.done).length, [todos]);

  const add = (text: string) =>
    setTodos((list) => [...list, { id: Date.now(), text, done: false }]);
  const toggle = (id: number) =>
    setTodos((list) => list.map((t) => (t.id === id ? { ...t, done: !t.done } : t)));
  const remove = (id: number) => setTodos((list) => list.filter((t) => t.id !== id));

  return (
    <main className="card">
      <header>
        <h1>Todo</h1>
        <p className="subtitle">
          {remaining} of {todos.length} left to do
        </p>
      </header>
      <AddTodo onAdd={add} />
      <ul className="todo-list">
        {todos.map((todo) => (
          <TodoItem key={todo.id} todo={todo} onToggle={toggle} onRemove={remove} />
        ))}
      </ul>
      {todos.length === 0 && <p className="empty">Nothing here. Add your first task above.</p>}
    </main>
  );
}
