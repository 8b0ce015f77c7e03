export { IMAGE_FILE_NAMES, IMAGE_ROLES, isImageId, newImageId, type BootImage, type ImageFile, type ImageFileName, type ImageRole } from "./boot-image.ts";
export { buildDiscoveryImage, buildDiscoveryRamdisk, isDynamicElf, type DiscoveryBuildOptions, type DiscoveryRamdisk } from "./build-discovery.ts";
export { writeCpioNewc, type CpioEntry } from "./cpio-newc.ts";
export { kernelVersionOf, packageDepends, packageFiles } from "./debian-packages.ts";
export { DISCOVERY_REPORT_VERSION, renderBmcUserSetup, renderDiscoveryInit, renderUdhcpcScript } from "./discovery-init.ts";
export { addImage, findImageByRole, getImage, imageFilePath, imagesDir, listImages, removeImage, type ImageSources, type NewImage } from "./image-store.ts";
export { DISCOVERY_DRIVERS, moduleName, parseModulesDep, readKernelModuleIndex, resolveModuleOrder } from "./kernel-modules.ts";
export { importImage, parseSha256Sums, type ImageSource, type ProgressListener } from "./import-image.ts";
export { hostDebianMirror, mirrorForSuite, parseDeb822Sources, parseOneLineSources, type AptSource } from "./apt-sources.ts";
export { buildOsDisk, buildOsImage, SYSLINUX_MBR, type OsDiskBuild, type OsImageBuildOptions } from "./build-os-image.ts";
export { bootPartitionBytes, osDiskLayout, partitionOffsetBytes, renderSfdiskScript, rootFilesystemBytes, type OsDiskLayout, type PartitionExtent } from "./os-disk-layout.ts";
export { DEFAULT_OS_IMAGE_CACHE_DIR, findCachedOsImage, type OsImageBuildInfo, type OsImageCacheEntry } from "./os-image-cache.ts";
export {
  OS_BOOT_LABEL,
  OS_DATASOURCE_CONFIG_PATH,
  OS_KERNEL_CMDLINE,
  OS_ROOT_LABEL,
  OS_SEED_CONFIG_PATH,
  renderCloudDatasourceConfig,
  renderNoCloudSeedConfig,
  renderSyslinuxCfg,
} from "./os-image-config.ts";
export { OS_IMAGE_BUILDER_VERSION, OS_IMAGE_PACKAGES, osImageName, osImageRecipe, osImageRecipeKey, type OsImageRecipe } from "./os-image-recipe.ts";
export { awsEndpointOf, IMAGE_CONTENT_ID, isDeployable, releaseVersion, renderSimplestreams, STREAMS_DIR, type SimplestreamsCloud, type SimplestreamsFiles } from "./simplestreams-index.ts";
export { openGpgSigner, SIGNING_KEY_UID, type GpgSigner } from "./gpg-signer.ts";
export { publishSimplestreams, simplestreamsDir, simplestreamsGnupgHome, simplestreamsImagesDir, SIMPLESTREAMS_KEY_FILE, type PublishedSimplestreams } from "./simplestreams-publish.ts";
export { registerSimplestreams } from "./simplestreams-routes.ts";
