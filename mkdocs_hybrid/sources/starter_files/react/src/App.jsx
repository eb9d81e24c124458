import { useState } from "react";

export function App() {
  const [name, setName] = useState("world");
  return (
    <main>
      <h1>Hello, {name || "stranger"}!</h1>
      <label>
        Your name <input value={name} onChange={(event) => setName(event.target.value)} />
      </label>
    </main>
  );
}
