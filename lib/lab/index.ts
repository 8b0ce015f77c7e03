export { labDown, type LabDownReport } from "./lab-down.ts";
export { isRunning, processStartTime, startDetached, stopProcess } from "./lab-processes.ts";
export { labDir, labMac, labNamespace, labSiteNamespace, labStatePath, readLabState, writeLabState, type LabFirmware, type LabProcess, type LabState, type LabVm } from "./lab-state.ts";
export { labStatus, type LabStatus } from "./lab-status.ts";
export { LAB_BOOT_PORT, LAB_DHCP_RANGE, LAB_MAX_NODES, LAB_NETWORK, LAB_PREFIX_LENGTH, LAB_SERVER_ADDRESS, LAB_SITE_DHCP_ADDRESS, labUp, type LabUpOptions } from "./lab-up.ts";
export { startLoopbackRelay } from "./loopback-relay.ts";
export { addTap, createLabNetwork, createSiteNetwork, deleteNamespace, namespaceExists, namespacePids } from "./network-namespace.ts";
export { orchestraArgv } from "./orchestra-command.ts";
export { OVMF_CODE, OVMF_VARS, qemuArgv } from "./qemu-argv.ts";
