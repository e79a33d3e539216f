/** The extension API version this build implements; manifests declare a semver range of it. */
export const CORE_API_VERSION = '1.0.0';

/** A reload request row was inserted (payload: its id); the extension host claims it. */
export const EXTENSION_RELOAD_CHANNEL = 'cm_extension_reload';
