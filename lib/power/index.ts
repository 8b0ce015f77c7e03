export { builtinPowerTypes, PowerTypeRegistry, REDACTED, type PowerSetting, type PowerType } from "./power-types.ts";
