/**
 * Fake benefit servers for `deno task bench serve`, on the ports given as
 * arguments: each answers every member with figures derived from its id; a
 * port written `<port>:hang` accepts requests and never answers.
 *
 * @module
 */
for (const [i, arg] of Deno.args.entries()) {
  const [port, mode] = arg.split(":");
  Deno.serve({ hostname: "127.0.0.1", port: Number(port), onListen() {} }, async (req) => {
    if (mode === "hang") await new Promise(() => {});
    const id = new URL(req.url).searchParams.get("member_id") ?? "";
    const n = Number(id.replace(/\D/g, "")) || 0;
    return Response.json({
      oop_max: 100000 + (n % 7) * 1000 * (i + 1),
      remaining_oop_max: 50000 + (n % 5) * 100,
      copay: 2000 + i * 500,
    });
  });
}
console.log("ready");
