// Which files the station treats as images, wherever it lists a folder (datasets, replay and
// hot-folder sources, the training wizard, the CLI).

export const IMAGE_EXTENSIONS: readonly string[] = [
  '.png',
  '.jpg',
  '.jpeg',
  '.bmp',
  '.tif',
  '.tiff',
  '.webp',
];

/**
 * Hidden files are skipped: macOS writes "._name.png" resource forks beside copied images, and
 * camera SDKs often write ".partial" names before renaming.
 */
export function isImageFile(name: string): boolean {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1).toLowerCase();
  return !base.startsWith('.') && IMAGE_EXTENSIONS.some((e) => base.endsWith(e));
}
