// The HTTP server around the express app. Node's parser answers some requests before express sees
// them (headers over --max-http-header-size, a malformed request line); those get the API's one error
// shape too, problem+json, instead of Node's bare status line.
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { Duplex } from "node:stream";
import type { Express } from "express";
import { problemTypeUri, ProblemType } from "./problem.js";
import type { ProblemBody } from "./problem.js";

interface ParserError extends Error {
  code?: string;
}

function clientErrorProblem(err: ParserError): ProblemBody {
  if (err.code === "HPE_HEADER_OVERFLOW") {
    return {
      type: problemTypeUri(ProblemType.HeadersTooLarge),
      title: "Request headers too large",
      status: 431,
      detail: "The request line and headers exceed the server's limit; send a shorter URL or fewer headers.",
    };
  }
  return {
    type: problemTypeUri(ProblemType.MalformedRequest),
    title: "Malformed request",
    status: 400,
    detail: "The request could not be parsed as HTTP/1.1.",
  };
}

/** Answers a request Node's HTTP parser refused, then closes the connection. */
export function answerClientError(err: ParserError, socket: Duplex): void {
  if (err.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const problem = clientErrorProblem(err);
  const body = JSON.stringify(problem);
  const reason = problem.status === 431 ? "Request Header Fields Too Large" : "Bad Request";
  socket.end(
    `HTTP/1.1 ${problem.status} ${reason}\r\n` +
      "Content-Type: application/problem+json\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      "Connection: close\r\n\r\n" +
      body,
  );
}

export interface ListenOptions {
  port: number;
  host: string;
  onListening?: () => void;
  /** The server could not listen (port taken, address not available): a one-line reason. */
  onListenError?: (reason: string) => void;
}

/** Why listening failed, in the words an operator needs at 3 a.m. */
export function listenErrorReason(err: NodeJS.ErrnoException, host: string, port: number): string {
  switch (err.code) {
    case "EADDRINUSE":
      return `port ${port} on ${host} is already in use (another switchover, or another service): stop it, or set PORT to a free port`;
    case "EADDRNOTAVAIL":
      return `address ${host} is not on this machine: set HOST to one of its addresses (0.0.0.0 for all)`;
    case "EACCES":
      return `not allowed to listen on ${host}:${port} (ports below 1024 need privileges): set PORT above 1023`;
    default:
      return `cannot listen on ${host}:${port}: ${err.message}`;
  }
}

/** An HTTP server for the app with the service's timeouts and problem+json for parser errors. */
export function listenApi(app: Express, { port, host, onListening, onListenError }: ListenOptions): Server {
  const server = createServer(app);
  if (onListenError) {
    server.once("error", (err: NodeJS.ErrnoException) => {
      if (!server.listening) onListenError(listenErrorReason(err, host, port));
    });
  }
  server.on("clientError", answerClientError);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  server.listen(port, host, onListening);
  return server;
}
