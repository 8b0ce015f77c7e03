export { LifecycleEngine, type LifecycleEngineOptions, type StepReport } from "./lifecycle-engine.ts";
export { POWER_PLAN, type PowerStep } from "./power-plan.ts";
export { ENGINE_MIGRATION, selectPowerActions, type PowerActionRow } from "./power-action-rows.ts";
