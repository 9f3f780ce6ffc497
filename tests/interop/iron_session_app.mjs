// A plain Node HTTP server with iron-session 8's getIronSession(req, res, options): the
// Node side of tests/it/interop_iron.rs (and of examples/nextjs_bridge.rs).
//
// IRON_SESSION_PASSWORDS: the password map as JSON ({"1": "..."}); PORT: the port on
// 127.0.0.1. Cookie "app_session", iron-session's default ttl (14 days).
//
//   GET /login?user=NAME  session.user = {name, isLoggedIn: true}, counter 0, trail []
//   GET /state            the session as JSON
//   GET /bump?by=WHO      counter + 1, WHO appended to trail
//   GET /logout           session.destroy()

import http from "node:http";
import { getIronSession } from "iron-session";

const options = {
  cookieName: "app_session",
  password: JSON.parse(process.env.IRON_SESSION_PASSWORDS),
  // Plain HTTP on loopback; iron-session's default is Secure.
  cookieOptions: { secure: false },
};

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, "http://127.0.0.1");
    const session = await getIronSession(req, res, options);
    let body;
    switch (url.pathname) {
      case "/login":
        session.user = { name: url.searchParams.get("user"), isLoggedIn: true };
        session.counter = 0;
        session.trail = [];
        await session.save();
        body = "ok";
        break;
      case "/state":
        body = JSON.stringify(session);
        break;
      case "/bump":
        session.counter = (session.counter ?? 0) + 1;
        session.trail = [...(session.trail ?? []), url.searchParams.get("by") ?? "node"];
        await session.save();
        body = JSON.stringify({ counter: session.counter });
        break;
      case "/logout":
        session.destroy();
        body = "bye";
        break;
      default:
        res.statusCode = 404;
        body = "not found";
    }
    res.end(body);
  } catch (e) {
    res.statusCode = 500;
    res.end(String(e.message));
  }
});
server.listen(Number(process.env.PORT), "127.0.0.1");
