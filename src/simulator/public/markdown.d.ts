export function escapeHtml(text: unknown): string;
export function safeColor(name: unknown): string | undefined;
export interface MarkdownOptions {
  mentionName?: (id: string) => string | undefined;
}
export function inlineToHtml(text: string, opts?: MarkdownOptions): string;
export function markdownToHtml(md: unknown, opts?: MarkdownOptions): string;
