/**
 * A request the gateway answers with an error status: a bad CID or
 * parameter (400), a path that does not exist (404), content it will not
 * fetch (403), a format it cannot give (406), a range outside the file
 * (416), the network too slow (504). `value` is what was wrong (the CID
 * text, the header, the path), shown in the message.
 */
export class GatewayError extends Error {
  static override readonly name = 'GatewayError'
  override readonly name = 'GatewayError'
  readonly status: number
  readonly value: string | undefined
  /** Headers the error answer needs (a 416's `Content-Range`). */
  readonly headers: Readonly<Record<string, string>>

  constructor (status: number, message: string, value?: string, options?: ErrorOptions & { headers?: Record<string, string> }) {
    super(message, options)
    this.status = status
    this.value = value
    this.headers = options?.headers ?? {}
  }
}
