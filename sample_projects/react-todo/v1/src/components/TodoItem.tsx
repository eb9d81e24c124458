import type { Todo } from "../types";

interface Props {
  todo: Todo;
}

export function TodoItem({ todo }: Props) {
  return (
    <li className={todo.done ? "todo done" : "todo"}>
      <span className="bullet" aria-hidden="true">
        {todo.done ? "✓" : "•"}
      </span>
      <span className="text">{todo.text}</span>
    </li>
  );
}
