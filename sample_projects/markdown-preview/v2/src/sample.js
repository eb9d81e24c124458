export const SAMPLE = `# Release notes

Write **Markdown** on the left and watch the *preview* update as you type.
Now with GitHub-flavoured extras: tables, task lists and ~~strikethrough~~.

## Progress

- [x] Share links for every saved version
- [x] A gallery of all threads
- [ ] Preview videos in the gallery

| Thread            | Versions | Status  |
| ----------------- | -------: | ------- |
| react-todo        |        4 | shipped |
| canvas-particles  |        3 | shipped |
| markdown-preview  |        2 | beta    |

## Try it

1. Select some text and press **B** in the toolbar
2. Add a \`code span\` or a [link to the top](#release-notes)

> Simple things should be simple, complex things should be possible.

\`\`\`js
const link = share(thread, version);
\`\`\`
`;
