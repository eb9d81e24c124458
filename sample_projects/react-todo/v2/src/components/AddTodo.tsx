import { useState, type KeyboardEvent } from "react";

interface Props {
  onAdd: (text: string) => void;
}

// No <form>: the preview iframe is sandboxed without "allow-forms", which
// would block the submit event, so Enter and the button are handled directly.
export function AddTodo({ onAdd }: Props) {
  const [text, setText] = useState("");

  const submit = () => {
    const value = text.trim();
    if (!value) return;
    onAdd(value);
    setText("");
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "Enter") submit();
  };

  return (
    <div className="add">
      <input
        aria-label="New task"
        placeholder="What needs doing?"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <button type="button" onClick={submit} disabled={!text.trim()}>
        Add
      </button>
    </div>
  );
}
