// The Content-Type of a file: from its name when it has one, else from its first bytes.

import { fileTypeFromBuffer } from 'file-type'
import mime from 'mime'

/** Bytes read from the start of a file to sniff its type (file-type reads up to 4100). */
export const SNIFF_BYTES = 4100

/** What a file is served as when nothing tells what it is. */
export const OCTET_STREAM = 'application/octet-stream'

/** The type a file name's extension stands for (`clip.mp4` → `video/mp4`), if it is known. */
export function typeFromName (name: string | undefined): string | undefined {
  if (name == null || !name.includes('.')) return undefined
  const type = mime.getType(name)
  return type == null ? undefined : withCharset(type)
}

/**
 * The type of a file from its first bytes (`head`; `complete` when it is the
 * whole file): media and documents by their magic numbers (file-type), then
 * HTML, SVG and JSON by their text, then any other UTF-8 text as
 * `text/plain`, and `application/octet-stream` for the rest.
 */
export async function sniffType (head: Uint8Array, complete: boolean): Promise<string> {
  if (head.byteLength === 0) return 'text/plain; charset=utf-8'
  const found = await fileTypeFromBuffer(head)
  if (found != null && found.mime !== 'application/xml') return found.mime
  const text = utf8Text(head, complete)
  if (text == null) return found?.mime ?? OCTET_STREAM
  const start = text.trimStart().slice(0, 512).toLowerCase()
  if (HTML_STARTS.test(start)) return 'text/html; charset=utf-8'
  if (start.startsWith('<svg') || (start.startsWith('<?xml') && start.includes('<svg'))) return 'image/svg+xml'
  if (found != null) return found.mime
  if (complete && (start.startsWith('{') || start.startsWith('[')) && isJson(text)) return 'application/json'
  return 'text/plain; charset=utf-8'
}

/** The tags the WHATWG sniffing algorithm takes for HTML. */
const HTML_STARTS = /^(<!doctype html|<html|<head|<script|<iframe|<h1|<div|<font|<table|<a|<style|<title|<b|<body|<br|<p|<!--)[\s>]/

/** The bytes as text when they are UTF-8 without control characters (a cut last character allowed unless `complete`). */
function utf8Text (bytes: Uint8Array, complete: boolean): string | undefined {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: !complete })
  } catch {
    return undefined
  }
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]/.test(text) ? undefined : text
}

function isJson (text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** Browsers guess a text file's charset wrongly without one; weft's files are UTF-8 far more often than not. */
function withCharset (type: string): string {
  return type.startsWith('text/') ? `${type}; charset=utf-8` : type
}
