/**
 * @module deploy
 * Image-based deployment: the deployment record, the plan the deploy ramdisk follows, the
 * routes it reports on, and machines' console logs.
 */
export { beginDeploymentWithin, type DeploymentRequest } from "./begin-deployment.ts";
export { type ConsoleLogSource, CONSOLE_OUTPUT_BYTES, consoleLogDir, consoleLogPath, fileConsoleLogs } from "./console-log.ts";
export { chooseDisk, DEPLOY_PLAN_VERSION, type DeployPlan, type ImageFormat, imageFormatOf, renderDeployPlan } from "./deploy-plan.ts";
export { type DeployServiceOptions, registerDeployService } from "./deploy-service.ts";
export { DEPLOY_LOG_LIMIT, splitReport } from "./node-report.ts";
export { registerEraseService } from "./erase-service.ts";
export { ERASE_MODES, ERASURE_MIGRATION, type EraseMode, type Erasure, type ErasurePhase, erasureByToken, erasureOf } from "./erasure-rows.ts";
export { isDeployToken, newDeployToken } from "./deploy-token.ts";
export { type Deployment, deploymentByToken, deploymentOf, deploymentOfInstance } from "./deployment-rows.ts";
export { DEPLOYMENT_MIGRATION, DEPLOYMENT_PHASES, type DeploymentPhase } from "./deployment-schema.ts";
