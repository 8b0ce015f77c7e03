export { IMAGE_FILE_NAMES, IMAGE_ROLES, isImageId, newImageId, type BootImage, type ImageFile, type ImageFileName, type ImageRole } from "./boot-image.ts";
export { buildDiscoveryImage, buildDiscoveryRamdisk, isDynamicElf, type DiscoveryBuildOptions, type DiscoveryRamdisk } from "./build-discovery.ts";
export { writeCpioNewc, type CpioEntry } from "./cpio-newc.ts";
export { kernelVersionOf, packageDepends, packageFiles } from "./debian-packages.ts";
export { DISCOVERY_REPORT_VERSION, renderBmcUserSetup, renderDiscoveryInit, renderUdhcpcScript } from "./discovery-init.ts";
export { addImage, findImageByRole, getImage, imageFilePath, imagesDir, listImages, removeImage, type ImageSources, type NewImage } from "./image-store.ts";
export { DISCOVERY_DRIVERS, moduleName, parseModulesDep, readKernelModuleIndex, resolveModuleOrder } from "./kernel-modules.ts";
export { importImage, parseSha256Sums, type ImageSource, type ProgressListener } from "./import-image.ts";
