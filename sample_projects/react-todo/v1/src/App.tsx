import { useMemo, useState } from "react";
import type { Todo } from "./types";
import { TodoItem } from "./components/TodoItem";

const STARTER: Todo[] = [
  { id: 1, text: "Sketch the gallery layout", done: true },
  { id: 2, text: "Write the snapshot format", done: false },
  { id: 3, text: "Bundle a React demo with esbuild", done: false },
  { id: 4, text: "Share the link with the team", done: false },
];

export function App() {
  const [todos] = useState<Todo[]>(STARTER);
  const remaining = useMemo(() => todos.filter((t) => !t.done).length, [todos]);

  return (
    <main className="card">
      <header>
        <h1>Todo</h1>
        <p className="subtitle">
          {remaining} of {todos.length} left to do
        </p>
      </header>
      <ul className="todo-list">
        {todos.map((todo) => (
          <TodoItem key={todo.id} todo={todo} />
        ))}
      </ul>
    </main>
  );
}
