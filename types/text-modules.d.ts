// Templates in userdata/ are bundled as text (esbuild `text` loader; jest: test/helpers/text-transform.js).
declare module '*.sh' {
  const text: string;
  export default text;
}
declare module '*.yaml' {
  const text: string;
  export default text;
}
