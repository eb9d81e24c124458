export const SAMPLE = `# Release notes

Write **Markdown** on the left and watch the *preview* update as you type.

## What's new

- Share links for every saved version
- A gallery of all threads
- Builds that skip unchanged snapshots

## Try it

1. Edit this text
2. Add a \`code span\` or a [link to the top](#release-notes)
3. Quote someone:

> Simple things should be simple, complex things should be possible.

\`\`\`js
const link = share(thread, version);
\`\`\`
`;
