// Assembles WebAssembly text with wabt, shared by scripts/build-wasm.js and the test that
// checks the committed bytes.
import wabt from 'wabt';

/** The binary module for the text of src/parsers/lines.wat. */
export async function assembleLinesWasm(text) {
  const w = await wabt();
  const module = w.parseWat('lines.wat', text, { simd: true });
  try {
    module.validate();
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}
