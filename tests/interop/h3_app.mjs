// An h3 1.x app with useSession (the session of Nuxt and Nitro): the h3 side of
// tests/it/interop_iron.rs.
//
// H3_PASSWORD: the session password; H3_MAX_AGE: maxAge in seconds (optional); PORT:
// the port on 127.0.0.1. Session (and cookie) name "h3", h3's default.
//
//   GET /state          {id, createdAt, data} as JSON
//   GET /bump?by=WHO    data.counter + 1, WHO appended to data.trail

import http from "node:http";
import { createApp, createRouter, defineEventHandler, getQuery, toNodeListener, useSession } from "h3";

const config = {
  password: process.env.H3_PASSWORD,
  ...(process.env.H3_MAX_AGE ? { maxAge: Number(process.env.H3_MAX_AGE) } : {}),
  // Plain HTTP on loopback; h3's default is Secure.
  cookie: { secure: false },
};

const app = createApp();
const router = createRouter()
  .get(
    "/state",
    defineEventHandler(async (event) => {
      const session = await useSession(event, config);
      return { id: session.id, data: session.data };
    }),
  )
  .get(
    "/bump",
    defineEventHandler(async (event) => {
      const session = await useSession(event, config);
      const by = getQuery(event).by ?? "node";
      await session.update((data) => ({
        counter: (data.counter ?? 0) + 1,
        trail: [...(data.trail ?? []), by],
      }));
      return { counter: session.data.counter };
    }),
  );
app.use(router);
http.createServer(toNodeListener(app)).listen(Number(process.env.PORT), "127.0.0.1");
