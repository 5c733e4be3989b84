/**
 * The AWS SDK for JavaScript v3 prints a 7-line NodeVersionSupportWarning, once per process, on
 * Node.js below 22: its releases published after the first week of January 2027 will require Node 22
 * (https://github.com/aws/aws-sdk-js-v3/issues/7983). The SDK versions in watchpost's lock file run on
 * Node 20.19+, the README says what is required and recommended, and the deployed functions run
 * Node 24. The SDK's documented switch, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true,
 * turns the warning off; it is set only when the user has not set it, so "=false" brings it back.
 * Import this module before anything that creates an SDK client.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export {};
