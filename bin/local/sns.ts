/**
 * SNS has no local implementation: this loopback server speaks the AWS Query protocol of `Publish`
 * (form-encoded POST, XML answer, `<ErrorResponse>` on refusal), so the real SNSClient and the
 * real notifier run unchanged. Topics must be known (`topicArns`); a publish to any other topic is
 * refused with NotFound, as SNS would. Every accepted message is kept, with its attributes.
 */
import { randomUUID } from "node:crypto";
import { type LoopbackResponse, startLoopbackServer } from "./http";

export interface PublishedMessage {
  topicArn: string;
  subject?: string;
  message: string;
  messageStructure?: string;
  attributes: Record<string, { dataType: string; value: string }>;
}

export interface LocalSns {
  endpoint: string;
  published: PublishedMessage[];
  close(): Promise<void>;
}

const NAMESPACE = "http://sns.amazonaws.com/doc/2010-03-31/";

export async function startLocalSns(topicArns: readonly string[]): Promise<LocalSns> {
  const topics = new Set(topicArns);
  const published: PublishedMessage[] = [];
  const server = await startLoopbackServer(({ method, body }) => {
    const form = new URLSearchParams(body);
    const action = form.get("Action");
    if (method !== "POST" || action !== "Publish") {
      return errorResponse(400, "InvalidAction", `the local SNS answers Publish only, not ${action}`);
    }
    const topicArn = form.get("TopicArn") ?? "";
    if (!topics.has(topicArn)) return errorResponse(404, "NotFound", "Topic does not exist");
    const attributes: PublishedMessage["attributes"] = {};
    for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
      attributes[form.get(`MessageAttributes.entry.${i}.Name`)!] = {
        dataType: form.get(`MessageAttributes.entry.${i}.Value.DataType`) ?? "",
        value: form.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? "",
      };
    }
    published.push({
      topicArn,
      ...(form.has("Subject") ? { subject: form.get("Subject")! } : {}),
      message: form.get("Message") ?? "",
      ...(form.has("MessageStructure") ? { messageStructure: form.get("MessageStructure")! } : {}),
      attributes,
    });
    return publishResponse();
  });
  return { endpoint: server.endpoint, published, close: () => server.close() };
}

function publishResponse(): LoopbackResponse {
  const body = [
    `<PublishResponse xmlns="${NAMESPACE}">`,
    `<PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult>`,
    `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>`,
    "</PublishResponse>",
  ].join("");
  return { status: 200, contentType: "text/xml", body };
}

function errorResponse(status: number, code: string, message: string): LoopbackResponse {
  const body = [
    `<ErrorResponse xmlns="${NAMESPACE}">`,
    `<Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error>`,
    `<RequestId>${randomUUID()}</RequestId>`,
    "</ErrorResponse>",
  ].join("");
  return { status, contentType: "text/xml", body };
}
