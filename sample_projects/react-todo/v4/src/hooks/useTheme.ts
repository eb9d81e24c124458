import { useEffect, useState } from "react";
import { load, save } from "../storage";

export type Theme = "light" | "dark";

function systemTheme(): Theme {
  try {
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  } catch {
    return "light";
  }
}

export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(() => load<Theme>("react-todo.theme", systemTheme()));

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    save("react-todo.theme", theme);
  }, [theme]);

  return [theme, () => setTheme((t) => (t === "dark" ? "light" : "dark"))];
}
