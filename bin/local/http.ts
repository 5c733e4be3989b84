/** A loopback HTTP server for the small protocol stand-ins in this folder (STS, EventBridge, SNS, SQS, Secrets Manager). */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface LoopbackServer {
  endpoint: string;
  close(): Promise<void>;
}

export interface LoopbackRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface LoopbackResponse {
  status: number;
  contentType: string;
  body: string;
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function startLoopbackServer(
  handle: (request: LoopbackRequest) => LoopbackResponse | Promise<LoopbackResponse>,
): Promise<LoopbackServer> {
  const server = createServer((request, response) => {
    void serve(request, response);
  });

  async function serve(request: IncomingMessage, response: ServerResponse) {
    let answer: LoopbackResponse;
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of request) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES) throw new Error("request body too large");
        chunks.push(chunk as Buffer);
      }
      answer = await handle({
        method: request.method ?? "GET",
        url: request.url ?? "/",
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
    } catch (error) {
      answer = {
        status: 500,
        contentType: "text/plain",
        body: error instanceof Error ? error.message : String(error),
      };
    }
    response.writeHead(answer.status, {
      "content-type": answer.contentType,
      "content-length": Buffer.byteLength(answer.body),
      "x-amzn-requestid": crypto.randomUUID(),
    });
    response.end(answer.body);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      // SDK clients keep connections alive; a stop must not wait for them to time out.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

/** The AWS JSON protocols' content types: awsJson1_0 (SQS) and awsJson1_1 (EventBridge, Secrets Manager). */
export type AwsJsonVersion = "1.0" | "1.1";

/** A successful AWS JSON protocol answer. */
export function awsJson(version: AwsJsonVersion, value: unknown): LoopbackResponse {
  return { status: 200, contentType: `application/x-amz-json-${version}`, body: JSON.stringify(value) };
}

/** An AWS JSON protocol error: the SDK reads the exception's name from `__type`. */
export function awsJsonError(
  version: AwsJsonVersion,
  status: number,
  type: string,
  message: string,
): LoopbackResponse {
  return {
    status,
    contentType: `application/x-amz-json-${version}`,
    body: JSON.stringify({ __type: type, message }),
  };
}
