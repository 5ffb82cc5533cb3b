/**
 * The classes of a data set are the labels 0 … k−1 of its training file, each with at least one
 * image. A label beyond them (a stray 200 among digits would otherwise make a network of 201
 * outputs), or a test label the training file does not have, is reported by file and image.
 */
import { UserError } from '../errors.js';

/** The number of classes, or a UserError naming the label file, the image and the label. */
export function checkedClassCount(train: { labels: Uint8Array; path: string }, test: { labels: Uint8Array; path: string }): number {
  const seen = new Uint32Array(256);
  let max = 0;
  let maxAt = 0;
  const t = train.labels;
  for (let i = 0; i < t.length; i++) {
    seen[t[i]]++;
    if (t[i] > max) {
      max = t[i];
      maxAt = i;
    }
  }
  const classes = max + 1;
  let missing = -1;
  for (let c = 0; c < classes && missing < 0; c++) if (seen[c] === 0) missing = c;
  if (missing >= 0) {
    let to = missing;
    while (to + 1 < classes && seen[to + 1] === 0) to++;
    const none = to === missing ? `label ${missing}` : `labels ${missing} to ${to}`;
    throw new UserError(`${train.path}: image ${maxAt} has label ${max}, but no image has ${none}: the labels of the training file must be the classes 0 to k−1`);
  }
  const x = test.labels;
  for (let i = 0; i < x.length; i++) {
    if (x[i] >= classes) throw new UserError(`${test.path}: image ${i} has label ${x[i]}, not one of the training file's classes 0 to ${classes - 1}`);
  }
  return classes;
}
