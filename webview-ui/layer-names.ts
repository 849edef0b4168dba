/** Layer names as the panel shows them where space is short. */

/** A tensor name without the exporter's decoration: '/_blocks.14/_depthwise_conv/Conv_output_0' → '_blocks.14/_depthwise_conv'. */
export function shortLayer(name: string): string {
  const parts = name.replace(/^\//, '').split('/');
  if (parts.length > 1 && /_output_\d+$|^output_\d+$/.test(parts[parts.length - 1])) parts.pop();
  return parts.join('/') || name;
}
