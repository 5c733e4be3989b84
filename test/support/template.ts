/**
 * A synthesized CloudFormation template with its intrinsic functions resolved the way
 * CloudFormation would at deploy time, given stand-in physical names: each resource's name is its
 * logical ID (lowercased where the service wants it), and ARNs, URLs and names follow each
 * service's documented ARN format. The routing and IAM simulations read policies, patterns and
 * environment variables through this, so "Ref: AlarmTopic" becomes the ARN a real deployment
 * would hold in the same place.
 */

export interface Environment {
  account: string;
  region: string;
  partition: string;
  urlSuffix: string;
}

export const DEFAULT_ENVIRONMENT: Environment = {
  account: "123456789012",
  region: "eu-west-1",
  partition: "aws",
  urlSuffix: "amazonaws.com",
};

/**
 * How each function's description begins (lib/watchpost-stack.ts, lib/constructs/webhook-delivery.ts):
 * the simulations find a function in a template by it.
 */
export const FUNCTION_DESCRIPTIONS = {
  certificateScan: /^Scans stored/,
  credentialCheck: /^Obtains temporary credentials/,
  notifier: /^Formats watchpost alarm events/,
  webhookDelivery: /^Renders watchpost alarm notifications/,
  endpointScan: /^Probes live TLS endpoints/,
  certificatePage: /^CloudWatch custom widget: certificates/,
} as const;

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
}

export interface CfnTemplate {
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, { Value: unknown }>;
}

export class ResolvedTemplate {
  constructor(
    readonly template: CfnTemplate,
    readonly env: Environment = DEFAULT_ENVIRONMENT,
  ) {}

  get resources(): Record<string, TemplateResource> {
    return this.template.Resources;
  }

  /** Logical IDs of the resources of a type. */
  ofType(type: string): string[] {
    return Object.entries(this.resources)
      .filter(([, resource]) => resource.Type === type)
      .map(([id]) => id);
  }

  /** A resource's properties with every intrinsic function resolved. */
  properties(id: string): Record<string, unknown> {
    const resource = this.resources[id];
    if (!resource) throw new Error(`no resource ${id}`);
    return this.resolve(resource.Properties ?? {}) as Record<string, unknown>;
  }

  /** `Ref` of a resource: what CloudFormation documents as the return value of Ref per type. */
  ref(id: string): string {
    const { account, region, partition } = this.env;
    const resource = this.resources[id];
    if (!resource) throw new Error(`Ref to unknown resource ${id}`);
    const name = this.physicalName(id);
    switch (resource.Type) {
      case "AWS::SNS::Topic":
        return `arn:${partition}:sns:${region}:${account}:${name}`;
      case "AWS::SQS::Queue":
        return `https://sqs.${region}.${this.env.urlSuffix}/${account}/${name}`;
      case "AWS::KMS::Key":
        return this.keyId(id);
      case "AWS::IAM::ManagedPolicy":
        return `arn:${partition}:iam::${account}:policy/${name}`;
      case "AWS::Lambda::Version":
        // Ref of a version is its qualified ARN; stand-in version number 1.
        return `${this.resolve({ "Fn::GetAtt": [this.functionOf(id), "Arn"] })}:1`;
      default:
        return name;
    }
  }

  /** `Fn::GetAtt` of a resource. */
  getAtt(id: string, attribute: string): string {
    const { account, region, partition } = this.env;
    const resource = this.resources[id];
    if (!resource) throw new Error(`GetAtt of unknown resource ${id}`);
    const name = this.physicalName(id);
    const arn = (service: string, rest: string, withRegion = true, withAccount = true) =>
      `arn:${partition}:${service}:${withRegion ? region : ""}:${withAccount ? account : ""}:${rest}`;
    if (attribute === "Arn") {
      switch (resource.Type) {
        case "AWS::Lambda::Function":
          return arn("lambda", `function:${name}`);
        case "AWS::SQS::Queue":
          return arn("sqs", name);
        case "AWS::SNS::Topic":
          return this.ref(id);
        case "AWS::DynamoDB::GlobalTable":
        case "AWS::DynamoDB::Table":
          return arn("dynamodb", `table/${name}`);
        case "AWS::S3::Bucket":
          return arn("s3", name, false, false);
        case "AWS::KMS::Key":
          return arn("kms", `key/${this.keyId(id)}`);
        case "AWS::IAM::Role":
          return arn("iam", `role/${name}`, false);
        case "AWS::Events::EventBus":
          return arn("events", `event-bus/${name}`);
        case "AWS::Events::Rule": {
          const bus = resource.Properties?.EventBusName;
          const busName = bus === undefined ? undefined : String(this.resolve(bus));
          return arn("events", busName && busName !== "default" ? `rule/${busName}/${name}` : `rule/${name}`);
        }
        case "AWS::Events::ApiDestination":
          return arn("events", `api-destination/${name}/0000`);
        case "AWS::Events::Connection":
          return arn("events", `connection/${name}/0000`);
        case "AWS::Scheduler::Schedule":
          return arn("scheduler", `schedule/default/${name}`);
        case "AWS::CloudWatch::Alarm":
          return arn("cloudwatch", `alarm:${name}`);
        case "AWS::Logs::LogGroup":
          return arn("logs", `log-group:${name}:*`);
        case "AWS::Chatbot::SlackChannelConfiguration":
        case "AWS::Chatbot::MicrosoftTeamsChannelConfiguration":
          return arn("chatbot", `chat-configuration/${name}`, false);
        default:
          throw new Error(`no ARN format for ${resource.Type}`);
      }
    }
    if (attribute === "Version" && resource.Type === "AWS::Lambda::Version") return "1";
    if (attribute === "QueueName") return name;
    if (attribute === "QueueUrl") return this.ref(id);
    if (attribute === "TopicName") return name;
    if (attribute === "Name") return name;
    if (attribute === "StreamArn") return `${this.getAtt(id, "Arn")}/stream/0000`;
    if (attribute === "GroupId" && resource.Type === "AWS::EC2::SecurityGroup")
      return `sg-${name.toLowerCase()}`;
    throw new Error(`no GetAtt ${attribute} for ${resource.Type}`);
  }

  /** Logical ID of the function a version or alias belongs to. */
  functionOf(id: string): string {
    const target = this.resources[id]?.Properties?.FunctionName as { Ref: string };
    return target.Ref;
  }

  /**
   * The stand-in physical name of a resource: its logical ID, lowercased for S3; a FIFO queue's
   * ends in ".fifo", as the names CloudFormation generates for them do (AWS::SQS::Queue, QueueName).
   */
  physicalName(id: string): string {
    const resource = this.resources[id];
    const explicit = resource?.Properties?.BucketName ?? resource?.Properties?.TableName;
    if (typeof explicit === "string") return explicit;
    if (resource?.Type === "AWS::SQS::Queue" && resource.Properties?.FifoQueue === true) return `${id}.fifo`;
    return resource?.Type === "AWS::S3::Bucket" ? id.toLowerCase() : id;
  }

  /** A KMS key ID derived from the logical ID (a UUID shape, as KMS issues). */
  keyId(id: string): string {
    const hex = Buffer.from(id).toString("hex").padEnd(32, "0").slice(0, 32);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  }

  /** Resolves Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split, Fn::Sub and pseudo parameters. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (typeof value !== "object" || value === null) return value;
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [fn, argument] = entries[0]!;
      switch (fn) {
        case "Ref":
          return this.pseudo(String(argument)) ?? this.ref(String(argument));
        case "Fn::GetAtt": {
          const [id, attribute] = Array.isArray(argument) ? argument : String(argument).split(".");
          return this.getAtt(String(id), String(attribute));
        }
        case "Fn::Join": {
          const [separator, parts] = argument as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).map(String).join(separator);
        }
        case "Fn::Select": {
          const [index, list] = argument as [number, unknown];
          return (this.resolve(list) as unknown[])[Number(index)];
        }
        case "Fn::Split": {
          const [separator, text] = argument as [string, unknown];
          return String(this.resolve(text)).split(separator);
        }
        case "Fn::Sub": {
          const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
          return String(text).replace(/\$\{([^}]+)\}/g, (_, name: string) => {
            const local = (variables as Record<string, unknown>)[name];
            if (local !== undefined) return String(this.resolve(local));
            const [id, attribute] = name.split(".");
            return attribute ? this.getAtt(id!, attribute) : (this.pseudo(name) ?? this.ref(name));
          });
        }
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v)]));
  }

  private pseudo(name: string): string | undefined {
    return {
      "AWS::AccountId": this.env.account,
      "AWS::Region": this.env.region,
      "AWS::Partition": this.env.partition,
      "AWS::URLSuffix": this.env.urlSuffix,
      "AWS::StackName": "Watchpost",
      "AWS::NoValue": undefined,
    }[name];
  }
}
