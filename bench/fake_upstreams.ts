/**
 * Three fake benefit servers for `deno task bench serve`, on the ports given
 * as arguments: each answers every member with figures derived from its id.
 *
 * @module
 */
for (const [i, port] of Deno.args.entries()) {
  Deno.serve({ hostname: "127.0.0.1", port: Number(port), onListen() {} }, (req) => {
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
