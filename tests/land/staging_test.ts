import assert from "node:assert/strict";
import { join } from "node:path";
import { FileChanged, stageFile } from "../../src/land/staging.ts";

Deno.test("a staged delivery stays the same file when another land links it or its mode changes, and not when it is written again", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "visits_1.txt");
    await Deno.writeTextFile(file, "id\n1\n2\n");
    await using staged = await stageFile(file, join(dir, "staging"));
    // Another `wharf land` staging the same delivery (a new hard link), a chmod: same bytes.
    await Deno.link(file, join(dir, "other_link"));
    await Deno.chmod(file, 0o600);
    await staged.verify();

    // Written again in place, same size: the bytes may differ.
    await Deno.writeTextFile(file, "id\n3\n4\n");
    await Deno.utime(file, new Date(), new Date(Date.now() + 5_000));
    await assert.rejects(
      () => staged.verify(),
      (e) =>
        e instanceof FileChanged &&
        /^written again: modified \d{4}-\d\d-\d\dT[\d:.]+Z, 7 bytes as when staged$/.test(e.detail),
    );

    await Deno.writeTextFile(file, "id\n3\n4\n5\n");
    await assert.rejects(
      () => staged.verify(),
      (e) => e instanceof FileChanged && e.detail === "7 bytes when staged, 9 now",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
