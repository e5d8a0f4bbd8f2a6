import { execFile } from 'node:child_process'
import { createHash, X509Certificate } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

/** Runs openssl, saying what to install when the machine has none. */
async function run (command: 'openssl', args: string[]): Promise<void> {
  try {
    await execFileAsync(command, args)
  } catch (err: any) {
    if (err?.code === 'ENOENT') throw new Error('openssl is not installed: apt-get install openssl (the TLS proxy test makes its certificates with it)', { cause: err })
    throw new Error(`openssl ${args.slice(0, 2).join(' ')} failed: ${String(err?.stderr ?? err?.message)}`, { cause: err })
  }
}

/** A certificate authority made for one test run, and a server certificate it signed. */
export interface TestCertificates {
  /** The CA's certificate, PEM. */
  caPem: string
  /** The server's key, PEM. */
  serverKey: string
  /** The server's certificate followed by the CA's: the chain a TLS server sends. */
  serverChain: string
  /**
   * base64 of the SHA-256 of the CA's SubjectPublicKeyInfo: what Chromium's
   * `--ignore-certificate-errors-spki-list` takes to trust chains through it.
   */
  caSpkiSha256: string
}

/**
 * Makes a throwaway CA and a certificate it signs for `hostname`, valid one
 * day, with the machine's `openssl` (Debian's `openssl` package; no private
 * key leaves `dir`, which the caller removes). ECDSA P-256, as a real CA
 * would issue today.
 */
export async function makeTestCertificates (dir: string, hostname: string): Promise<TestCertificates> {
  const path = (name: string): string => join(dir, name)
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
  await run('openssl', ['req', '-x509', ...ec, '-keyout', path('ca.key'), '-out', path('ca.pem'), '-days', '1',
    '-subj', '/CN=weft test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  await run('openssl', ['req', ...ec, '-keyout', path('server.key'), '-out', path('server.csr'), '-subj', `/CN=${hostname}`])
  await writeFile(path('server.ext'), `subjectAltName=DNS:${hostname}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n`)
  await run('openssl', ['x509', '-req', '-in', path('server.csr'), '-CA', path('ca.pem'), '-CAkey', path('ca.key'),
    '-CAcreateserial', '-days', '1', '-out', path('server.pem'), '-extfile', path('server.ext')])
  const caPem = await readFile(path('ca.pem'), 'utf8')
  const serverPem = await readFile(path('server.pem'), 'utf8')
  const ca = new X509Certificate(caPem)
  const spki = ca.publicKey.export({ type: 'spki', format: 'der' })
  return {
    caPem,
    serverKey: await readFile(path('server.key'), 'utf8'),
    serverChain: serverPem + caPem,
    caSpkiSha256: createHash('sha256').update(spki).digest('base64')
  }
}
