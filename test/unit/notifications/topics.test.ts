import { describe, expect, it } from "vitest";
import type { Severity } from "../../../functions/core/contracts";
import {
  alarmTopics,
  healthAlarmTopics,
  MAX_ACTIONS_PER_ALARM_STATE,
  parseTopicArns,
  serializeTopicArns,
  topicsFor,
} from "../../../functions/core/notifications/topics";

const ALARM_TOPIC = "arn:aws:sns:eu-west-1:123456789012:watchpost-alarms";
const MAJOR_TOPIC = "arn:aws:sns:eu-west-1:123456789012:watchpost-alarms-major";
const MINOR_TOPIC = "arn:aws:sns:eu-west-1:123456789012:watchpost-alarms-minor";

describe("the notification topic model", () => {
  it.each<[string, Severity[], string[]]>([
    ["nobody asked for less than everything", [], ["AlarmTopic"]],
    ["an email recipient wants warning and worse", ["warning"], ["AlarmTopic"]],
    [
      "recipients want major, then critical",
      ["major", "critical"],
      ["SeverityTopic-critical", "SeverityTopic-major", "AlarmTopic"],
    ],
    ["two recipients want minor", ["minor", "minor"], ["SeverityTopic-minor", "AlarmTopic"]],
  ])("when %s, the deployment has these topics", (_, minimums, ids) => {
    // Act
    const topics = alarmTopics(minimums);

    // Assess
    expect(topics.map((topic) => topic.id)).toEqual(ids);
    expect(topics.at(-1)).toEqual({ minimum: "warning", id: "AlarmTopic", displayName: "watchpost alarms" });
  });

  it.each<[Severity, string[]]>([
    ["critical", [ALARM_TOPIC, MAJOR_TOPIC, MINOR_TOPIC]],
    ["major", [ALARM_TOPIC, MAJOR_TOPIC, MINOR_TOPIC]],
    ["minor", [ALARM_TOPIC, MINOR_TOPIC]],
    ["warning", [ALARM_TOPIC]],
  ])(
    "sends an event of routing severity %s to the topics whose minimum it meets, each once",
    (severity, topics) => {
      // Prepare
      const arns = { warning: ALARM_TOPIC, major: MAJOR_TOPIC, minor: MINOR_TOPIC };

      // Act / Assess
      expect(topicsFor(severity, arns)).toEqual(topics);
    },
  );

  it("reads back what it writes", () => {
    // Prepare
    const arns = { warning: ALARM_TOPIC, major: MAJOR_TOPIC };

    // Act
    const text = serializeTopicArns(arns);

    // Assess
    expect(parseTopicArns(text)).toEqual(arns);
  });

  it.each([
    [
      "no topic for every event",
      JSON.stringify({ major: MAJOR_TOPIC }),
      /topic of every alarm event \(warning\)/,
    ],
    [
      "a severity that does not exist",
      JSON.stringify({ warning: ALARM_TOPIC, urgent: MAJOR_TOPIC }),
      /urgent/,
    ],
    ["something that is not an ARN", JSON.stringify({ warning: "watchpost-alarms" }), /arn:/],
    ["text that is not JSON", "warning=arn:aws:sns:…", /JSON/],
  ])("refuses an ARN map with %s", (_, text, error) => {
    // Act / Assess
    expect(() => parseTopicArns(text)).toThrow(error);
  });

  it(`lets a health alarm notify up to ${MAX_ACTIONS_PER_ALARM_STATE} topics, CloudWatch's limit per alarm state`, () => {
    // Prepare
    const five = ["a", "b", "c", "d", "e"];

    // Act / Assess
    expect(healthAlarmTopics(five)).toEqual(five);
  });
});
