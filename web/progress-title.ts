/**
 * Progress where a person sees it from another tab: the title (`42% · weft`)
 * and the favicon (a bar that fills) follow whichever of the page's progress
 * bars is moving. It watches the <progress> elements rather than being told,
 * so the file sections need not know of it.
 */

/** The favicon for a fraction done (undefined: idle), as an SVG data URL. */
export function faviconFor (fraction: number | undefined): string {
  const bar = fraction == null ? '' : `<rect y="11" width="${Math.round(16 * fraction)}" height="5" fill="#186b2c"/>`
  return `data:image/svg+xml,${encodeURIComponent(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="${fraction == null ? 16 : 10}" rx="3" fill="#2a4d7a"/>${bar}</svg>`)}`
}

/** Follows the page's progress bars in its title and favicon. */
export function progressInTitle (bars: HTMLProgressElement[], base = document.title): void {
  const icon = document.querySelector<HTMLLinkElement>('link[rel="icon"]') ?? document.head.appendChild(Object.assign(document.createElement('link'), { rel: 'icon' }))
  let shown: string | undefined
  const update = (): void => {
    const moving = bars.find(bar => !bar.hidden && bar.hasAttribute('value') && bar.value < bar.max)
    const fraction = moving != null ? moving.value / moving.max : undefined
    const title = fraction != null ? `${Math.floor(fraction * 100)}% · ${base}` : base
    if (title === shown) return
    shown = title
    document.title = title
    icon.href = faviconFor(fraction)
  }
  const observer = new MutationObserver(update)
  for (const bar of bars) observer.observe(bar, { attributes: true })
  // `value` set from script is a property, not always an attribute change: poll lightly too
  setInterval(update, 1_000)
  update()
}
