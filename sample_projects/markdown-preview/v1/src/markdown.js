// A deliberately tiny Markdown subset that renders straight to React elements
// (no innerHTML): headings, paragraphs, lists, quotes, fenced code and inline
// **bold**, *italic*, `code` and [links](#anchor).

export const slug = (text) => text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

const INLINE = /(\*\*[^*]+\*\*|\*[^*]+\*|`[^`]+`|\[[^\]]+\]\([^)]+\))/g;

function inline(text, keyBase) {
  return text.split(INLINE).map((part, i) => {
    const key = `${keyBase}-${i}`;
    if (part.startsWith("**") && part.endsWith("**") && part.length > 4) return <strong key={key}>{part.slice(2, -2)}</strong>;
    if (part.startsWith("*") && part.endsWith("*") && part.length > 2) return <em key={key}>{part.slice(1, -1)}</em>;
    if (part.startsWith("`") && part.endsWith("`") && part.length > 2) return <code key={key}>{part.slice(1, -1)}</code>;
    const link = /^\[([^\]]+)\]\(([^)]+)\)$/.exec(part);
    if (link) {
      // Only in-page anchors: the preview must never navigate away.
      return link[2].startsWith("#") ? <a key={key} href={link[2]}>{link[1]}</a> : <u key={key}>{link[1]}</u>;
    }
    return part;
  });
}

export function render(source) {
  const lines = source.replace(/\r\n/g, "\n").split("\n");
  const blocks = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const key = `b${blocks.length}`;
    if (!line.trim()) {
      i++;
    } else if (line.startsWith("```")) {
      const code = [];
      for (i++; i < lines.length && !lines[i].startsWith("```"); i++) code.push(lines[i]);
      i++;
      blocks.push(<pre key={key}><code>{code.join("\n")}</code></pre>);
    } else if (/^#{1,3} /.test(line)) {
      const level = line.indexOf(" ");
      const text = line.slice(level + 1);
      const Tag = `h${level}`;
      blocks.push(<Tag key={key} id={slug(text)}>{inline(text, key)}</Tag>);
      i++;
    } else if (/^([-*]|\d+\.) /.test(line)) {
      const ordered = /^\d/.test(line);
      const items = [];
      while (i < lines.length && /^([-*]|\d+\.) /.test(lines[i])) {
        items.push(<li key={items.length}>{inline(lines[i].replace(/^([-*]|\d+\.) /, ""), `${key}-${items.length}`)}</li>);
        i++;
      }
      blocks.push(ordered ? <ol key={key}>{items}</ol> : <ul key={key}>{items}</ul>);
    } else if (line.startsWith(">")) {
      const quote = [];
      for (; i < lines.length && lines[i].startsWith(">"); i++) quote.push(lines[i].replace(/^> ?/, ""));
      blocks.push(<blockquote key={key}>{inline(quote.join(" "), key)}</blockquote>);
    } else {
      const para = [];
      for (; i < lines.length && lines[i].trim() && !/^(#{1,3} |```|>|[-*] |\d+\. )/.test(lines[i]); i++) para.push(lines[i]);
      blocks.push(<p key={key}>{inline(para.join(" "), key)}</p>);
    }
  }
  return blocks;
}
