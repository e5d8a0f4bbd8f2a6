/** Private sharing: files encrypted before they leave the client (docs/encryption.md). */
export { encryptContent, type EncryptOptions, type Encrypted } from './encrypt.js'
export { DecryptedFile, type CipherSource, type DecryptReadOptions, type DecryptedStat } from './decrypt.js'
export { putEncrypted, decryptedContent, type EncryptedPutOptions, type EncryptedPutResult, type DecryptedStatFields, type CipherContent } from './share.js'
export { convergentKey, randomKey, KEY_BYTES } from './keys.js'
export { RecordLayout, MAX_METADATA_BYTES, TAG_BYTES, type FileMetadata, type KeyMode } from './format.js'
export { DecryptionError, TruncatedError, MissingKeyError, InvalidCapabilityError, NotEncryptedError, MetadataTooLargeError, type DecryptionFailure } from './errors.js'
