;; The newline scan of src/parsers/lines.ts for a chunk that a skip table filters, in
;; WebAssembly with 128-bit SIMD: sixteen bytes are compared with '\n' at once, and each
;; newline found is one bit to visit. A line that the skip table ignores is only counted; the
;; others are written out for JavaScript to deliver. Assembled by scripts/build-wasm.js into
;; lines-wasm.ts (a test checks that the two agree).
;;
;; Memory (all offsets in bytes):
;;   [0, 65536)        the skip table: entry (b0 << 8 | b1) is 1 when a line starting with the
;;                     bytes b0 b1 is ignored (only lines of two bytes or more are looked up)
;;   [65536, 114688)   kept lines, up to 4096 of (start i32, end i32, line number i32)
;;   [114688, 114704)  the scan's state, read at entry and written back at return:
;;                     +0 start of the current line, +4 where to look for the next newline,
;;                     +8 lines counted so far, +12 number of the last ignored line
;;   [131072, ...)     the chunk's bytes, with at least 16 bytes of slack after them (the
;;                     last vector load may read past the end; those bytes are masked off)
;;
;; scan(end) looks for newlines in [state+4, end). When the kept-lines area is full it stops
;; at the newline it could not record, saves its state and returns 4096: the caller delivers
;; the lines and calls again. Otherwise it returns how many lines it kept (< 4096) and the
;; state says where the unfinished last line starts.
(module
  (memory (export "memory") 3)
  (func (export "scan") (param $end i32) (result i32)
    (local $pos i32) (local $base i32) (local $line i32) (local $last i32)
    (local $kept i32) (local $out i32) (local $bits i32) (local $nl i32)
    (local.set $pos (i32.load (i32.const 114688)))
    (local.set $base (i32.load (i32.const 114692)))
    (local.set $line (i32.load (i32.const 114696)))
    (local.set $last (i32.load (i32.const 114700)))
    (local.set $out (i32.const 65536))
    (block $done
      (loop $vectors
        (br_if $done (i32.ge_u (local.get $base) (local.get $end)))
        (local.set $bits (i8x16.bitmask (i8x16.eq (v128.load (local.get $base)) (i8x16.splat (i32.const 10)))))
        ;; Fewer than 16 bytes left: drop the bits of the bytes past the end.
        (if (i32.lt_u (i32.sub (local.get $end) (local.get $base)) (i32.const 16))
          (then
            (local.set $bits
              (i32.and (local.get $bits)
                (i32.sub (i32.shl (i32.const 1) (i32.sub (local.get $end) (local.get $base))) (i32.const 1))))))
        (block $vector_done
          (loop $newlines
            (br_if $vector_done (i32.eqz (local.get $bits)))
            (local.set $nl (i32.add (local.get $base) (i32.ctz (local.get $bits))))
            (if (i32.and
                  (i32.ge_s (i32.sub (local.get $nl) (local.get $pos)) (i32.const 2))
                  (i32.load8_u
                    (i32.or (i32.shl (i32.load8_u (local.get $pos)) (i32.const 8))
                            (i32.load8_u offset=1 (local.get $pos)))))
              (then
                ;; An ignored line: counted only.
                (local.set $line (i32.add (local.get $line) (i32.const 1)))
                (local.set $last (local.get $line)))
              (else
                (if (i32.eq (local.get $kept) (i32.const 4096))
                  (then
                    ;; No room: resume at this newline.
                    (i32.store (i32.const 114688) (local.get $pos))
                    (i32.store (i32.const 114692) (local.get $nl))
                    (i32.store (i32.const 114696) (local.get $line))
                    (i32.store (i32.const 114700) (local.get $last))
                    (return (local.get $kept))))
                (local.set $line (i32.add (local.get $line) (i32.const 1)))
                (i32.store (local.get $out) (local.get $pos))
                (i32.store offset=4 (local.get $out) (local.get $nl))
                (i32.store offset=8 (local.get $out) (local.get $line))
                (local.set $out (i32.add (local.get $out) (i32.const 12)))
                (local.set $kept (i32.add (local.get $kept) (i32.const 1)))))
            (local.set $pos (i32.add (local.get $nl) (i32.const 1)))
            ;; Clear the lowest set bit: the next newline of this vector.
            (local.set $bits (i32.and (local.get $bits) (i32.sub (local.get $bits) (i32.const 1))))
            (br $newlines)))
        (local.set $base (i32.add (local.get $base) (i32.const 16)))
        (br $vectors)))
    (i32.store (i32.const 114688) (local.get $pos))
    (i32.store (i32.const 114692) (local.get $end))
    (i32.store (i32.const 114696) (local.get $line))
    (i32.store (i32.const 114700) (local.get $last))
    (local.get $kept)))
