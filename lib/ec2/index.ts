/**
 * @module ec2
 * The EC2-compatible Query API: wire parsing, SigV4, XML, actions and the HTTP endpoint.
 */
export * from "./query/parse-form.ts";
export * from "./query/param-shape.ts";
export * from "./query/read-params.ts";
export * from "./auth/sigv4.ts";
export * from "./xml/render-xml.ts";
export * from "./actions/define-action.ts";
export * from "./actions/action-table.ts";
export * from "./model/ec2-context.ts";
export * from "./model/ec2-services.ts";
export * from "./model/filters.ts";
export * from "./http/ec2-status.ts";
export * from "./http/ec2-server.ts";
