import { describe, expect, it } from "vitest";
import type { Severity } from "../../../functions/core/contracts";
import {
  alarmTopics,
  healthAlarmTopics,
  MAX_ACTIONS_PER_ALARM_STATE,
  parseTopicRoutes,
  serializeTopicRoutes,
  subjectFor,
  type TopicRoute,
  type TopicWish,
  topicCountProblem,
  topicsFor,
} from "../../../functions/core/notifications/topics";

const ALARM_TOPIC = "arn:aws:sns:eu-west-1:123456789012:watchpost-alarms";
const MAJOR_TOPIC = "arn:aws:sns:eu-west-1:123456789012:watchpost-alarms-major";
const MINOR_TOPIC = "arn:aws:sns:eu-west-1:123456789012:watchpost-alarms-minor";
const PROD_MAJOR_TOPIC = "arn:aws:sns:eu-west-1:123456789012:watchpost-alarms-major-prod";

const ROUTES: TopicRoute[] = [
  { minimumSeverity: "major", arn: MAJOR_TOPIC },
  { minimumSeverity: "major", subjectPrefix: "[prod]", arn: PROD_MAJOR_TOPIC },
  { minimumSeverity: "minor", arn: MINOR_TOPIC },
  { minimumSeverity: "warning", arn: ALARM_TOPIC },
];

describe("the notification topic model", () => {
  it.each<[string, TopicWish[], [string, string][]]>([
    ["nobody asked for less than everything", [], [["AlarmTopic", "watchpost alarms"]]],
    [
      "an email recipient wants warning and worse",
      [{ minimumSeverity: "warning" }],
      [["AlarmTopic", "watchpost alarms"]],
    ],
    [
      "recipients want major, then critical",
      [{ minimumSeverity: "major" }, { minimumSeverity: "critical" }],
      [
        ["SeverityTopic-critical", "watchpost alarms, critical and worse"],
        ["SeverityTopic-major", "watchpost alarms, major and worse"],
        ["AlarmTopic", "watchpost alarms"],
      ],
    ],
    [
      "two recipients want minor, one of them under a subject prefix, twice",
      [
        { minimumSeverity: "minor", subjectPrefix: "[prod]" },
        { minimumSeverity: "minor" },
        { minimumSeverity: "minor", subjectPrefix: "[prod]" },
      ],
      [
        ["SeverityTopic-minor", "watchpost alarms, minor and worse"],
        ["SeverityTopic-minor-Prefixf62ce8c5", "watchpost alarms, minor and worse ([prod])"],
        ["AlarmTopic", "watchpost alarms"],
      ],
    ],
  ])("when %s, the deployment has these topics", (_, wishes, expected) => {
    // Act
    const topics = [...alarmTopics(wishes).values()];

    // Assess
    expect(topics.map((topic) => [topic.id, topic.displayName])).toEqual(expected);
  });

  it.each<[Severity, string[]]>([
    ["critical", [MAJOR_TOPIC, PROD_MAJOR_TOPIC, MINOR_TOPIC, ALARM_TOPIC]],
    ["major", [MAJOR_TOPIC, PROD_MAJOR_TOPIC, MINOR_TOPIC, ALARM_TOPIC]],
    ["minor", [MINOR_TOPIC, ALARM_TOPIC]],
    ["warning", [ALARM_TOPIC]],
  ])(
    "sends an event of routing severity %s to the topics whose minimum it meets, each once",
    (severity, arns) => {
      // Act
      const topics = topicsFor(severity, [...ROUTES, ROUTES[0]!]);

      // Assess
      expect(topics.map((topic) => topic.arn)).toEqual(arns);
    },
  );

  it.each([
    [undefined, "MAJOR RAISED 1002 Certificate expiring: api.pem#0"],
    ["[prod]", "[prod] MAJOR RAISED 1002 Certificate expiring: api.pem#0"],
  ])("gives subscribers with prefix %s the subject they asked for", (prefix, subject) => {
    // Prepare
    const message = {
      subject: "MAJOR RAISED 1002 Certificate expiring: api.pem#0",
      prefixedSubject: (p: string) => `${p} MAJOR RAISED 1002 Certificate expiring: api.pem#0`,
    };

    // Act / Assess
    expect(subjectFor({ subjectPrefix: prefix }, message)).toBe(subject);
  });

  it("reads back what it writes", () => {
    // Act
    const text = serializeTopicRoutes(ROUTES);

    // Assess
    expect(parseTopicRoutes(text)).toEqual(ROUTES);
  });

  it("reads the object form of stacks deployed before subject prefixes", () => {
    // Act
    const routes = parseTopicRoutes(JSON.stringify({ warning: ALARM_TOPIC, major: MAJOR_TOPIC }));

    // Assess
    expect(routes).toEqual([
      { minimumSeverity: "major", arn: MAJOR_TOPIC },
      { minimumSeverity: "warning", arn: ALARM_TOPIC },
    ]);
  });

  it.each([
    [
      "no topic for every event",
      JSON.stringify([{ minimumSeverity: "major", arn: MAJOR_TOPIC }]),
      /topic of every alarm event \(warning\)/,
    ],
    [
      "a severity that does not exist",
      JSON.stringify({ warning: ALARM_TOPIC, urgent: MAJOR_TOPIC }),
      /urgent/,
    ],
    [
      "something that is not an ARN",
      JSON.stringify([{ minimumSeverity: "warning", arn: "watchpost-alarms" }]),
      /arn:/,
    ],
    ["text that is not JSON", "warning=arn:aws:sns:…", /JSON/],
  ])("refuses a topic list with %s", (_, text, error) => {
    // Act / Assess
    expect(() => parseTopicRoutes(text)).toThrow(error);
  });

  it(`lets a health alarm notify up to ${MAX_ACTIONS_PER_ALARM_STATE} topics, CloudWatch's limit per alarm state`, () => {
    // Prepare
    const five = ["a", "b", "c", "d", "e"];

    // Act / Assess
    expect(healthAlarmTopics(five)).toEqual(five);
    expect(topicCountProblem(5)).toBeUndefined();
  });

  it("refuses six topics, saying what to change", () => {
    // Act / Assess
    expect(() => healthAlarmTopics(["a", "b", "c", "d", "e", "f"])).toThrow(
      "email / slack / teams: their minimumSeverity and subjectPrefix values need 6 SNS topics, but watchpost's health alarms notify every topic and CloudWatch takes at most 5 actions per alarm state (PutMetricAlarm AlarmActions/OKActions); use at most 5 distinct combinations",
    );
  });
});
