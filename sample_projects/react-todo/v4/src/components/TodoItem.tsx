import type { Todo } from "../types";

interface Props {
  todo: Todo;
  onToggle: (id: number) => void;
  onRemove: (id: number) => void;
}

export function TodoItem({ todo, onToggle, onRemove }: Props) {
  return (
    <li className={todo.done ? "todo done" : "todo"}>
      <label>
        <input type="checkbox" checked={todo.done} onChange={() => onToggle(todo.id)} />
        <span className="text">{todo.text}</span>
      </label>
      <button className="remove" aria-label={`Delete ${todo.text}`} onClick={() => onRemove(todo.id)}>
        ×
      </button>
    </li>
  );
}
