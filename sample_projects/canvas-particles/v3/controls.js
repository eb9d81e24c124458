// Builds a small settings panel and calls onChange(settings) on every change.
export function createControls(root, initial, onChange) {
  const settings = { ...initial };
  const panel = document.createElement("aside");
  panel.className = "panel";
  panel.innerHTML = `
    <h2>Settings</h2>
    <label>Particles <output data-for="count"></output>
      <input type="range" name="count" min="20" max="260" step="10" /></label>
    <label>Link distance <output data-for="link"></output>
      <input type="range" name="link" min="40" max="220" step="10" /></label>
    <label class="check"><input type="checkbox" name="trails" /> Motion trails</label>
  `;
  const inputs = panel.querySelectorAll("input");

  function sync() {
    for (const input of inputs) {
      if (input.type === "checkbox") input.checked = settings[input.name];
      else input.value = String(settings[input.name]);
      const out = panel.querySelector(`output[data-for="${input.name}"]`);
      if (out) out.textContent = String(settings[input.name]);
    }
  }

  panel.addEventListener("input", (e) => {
    const input = e.target;
    settings[input.name] = input.type === "checkbox" ? input.checked : Number(input.value);
    sync();
    onChange({ ...settings });
  });

  sync();
  root.appendChild(panel);
  return settings;
}
