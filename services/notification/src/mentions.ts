/** `@username` mentions in a body (usernames are 3–32 of a-z 0-9 _ . -, case-insensitive). */
export function mentionedUsernames(body: string): string[] {
  const found = new Set<string>();
  for (const m of body.matchAll(/(?:^|[^\p{L}\p{N}_.@-])@([A-Za-z0-9_.-]{3,32})(?![A-Za-z0-9_-])/gu)) found.add(m[1]!.toLowerCase().replace(/\.+$/, ''));
  return [...found].filter((u) => u.length >= 3);
}
