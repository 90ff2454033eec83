module attributes {stable_mosaic.version = 15 : i64} {
  func.func @flash_attention_bwd_dkv(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32, %arg4: memref<64x256xbf16, #tpu.memory_space<vmem>>, %arg5: memref<64x256xbf16, #tpu.memory_space<vmem>>, %arg6: memref<64x256xbf16, #tpu.memory_space<vmem>>, %arg7: memref<64x256xbf16, #tpu.memory_space<vmem>>, %arg8: memref<256x128xf32, #tpu.memory_space<vmem>>, %arg9: memref<256x128xf32, #tpu.memory_space<vmem>>, %arg10: memref<64x256xbf16, #tpu.memory_space<vmem>>, %arg11: memref<64x256xbf16, #tpu.memory_space<vmem>>, %arg12: memref<256x64xbf16, #tpu.memory_space<vmem>>, %arg13: memref<256x64xf32, #tpu.memory_space<vmem>>, %arg14: memref<256x64xf32, #tpu.memory_space<vmem>>, %arg15: memref<256x64xbf16, #tpu.memory_space<vmem>>, %arg16: memref<256x64xbf16, #tpu.memory_space<vmem>>, %arg17: memref<256x64xbf16, #tpu.memory_space<vmem>>) attributes {dimension_semantics = [#tpu.dimension_semantics<parallel>, #tpu.dimension_semantics<parallel>, #tpu.dimension_semantics<parallel>, #tpu.dimension_semantics<arbitrary>], iteration_bounds = array<i64: 1, 1, 2, 4>, scalar_prefetch = 0 : i64, scratch_operands = 6 : i64, tpu.core_type = #tpu.core_type<tc>, window_params = [{transform_indices = @transform_0, window_bounds = array<i64: 1, 1, 64, 256>}, {transform_indices = @transform_1, window_bounds = array<i64: 1, 1, 64, 256>}, {transform_indices = @transform_2, window_bounds = array<i64: 1, 1, 64, 256>}, {transform_indices = @transform_3, window_bounds = array<i64: 1, 1, 64, 256>}, {transform_indices = @transform_4, window_bounds = array<i64: 1, 1, 256, 128>}, {transform_indices = @transform_5, window_bounds = array<i64: 1, 1, 256, 128>}, {transform_indices = @transform_6, window_bounds = array<i64: 1, 1, 64, 256>}, {transform_indices = @transform_7, window_bounds = array<i64: 1, 1, 64, 256>}]} {
    %cst = arith.constant dense<1.250000e-01> : vector<256x64xf32>
    %c3_i32 = arith.constant 3 : i32
    %cst_0 = arith.constant dense<0> : vector<256x256xi32>
    %cst_1 = arith.constant dense<0.000000e+00> : vector<256x256xf32>
    %cst_2 = arith.constant dense<1.44269502> : vector<256x1xf32>
    %c-255_i32 = arith.constant -255 : i32
    %c511_i32 = arith.constant 511 : i32
    %c255_i32 = arith.constant 255 : i32
    %c256_i32 = arith.constant 256 : i32
    %c2_i32 = arith.constant 2 : i32
    %cst_3 = arith.constant dense<0.000000e+00> : vector<256x64xf32>
    %cst_4 = arith.constant dense<0.180336878> : vector<256x64xf32>
    %c0 = arith.constant 0 : index
    %c0_i32 = arith.constant 0 : i32
    %0 = arith.cmpi eq, %arg3, %c0_i32 : i32
    scf.if %0 {
      %13 = vector.load %arg5[%c0, %c0] : memref<64x256xbf16, #tpu.memory_space<vmem>>, vector<64x256xbf16>
      %14 = "tpu.transpose"(%13) {permutation = array<i64: 1, 0>} : (vector<64x256xbf16>) -> vector<256x64xbf16>
      %15 = arith.extf %14 : vector<256x64xbf16> to vector<256x64xf32>
      %16 = arith.mulf %15, %cst_4 : vector<256x64xf32>
      %17 = arith.truncf %16 : vector<256x64xf32> to vector<256x64xbf16>
      "tpu.vector_store"(%17, %arg12, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xbf16>, memref<256x64xbf16, #tpu.memory_space<vmem>>, index, index) -> ()
      %18 = vector.load %arg6[%c0, %c0] : memref<64x256xbf16, #tpu.memory_space<vmem>>, vector<64x256xbf16>
      %19 = "tpu.transpose"(%18) {permutation = array<i64: 1, 0>} : (vector<64x256xbf16>) -> vector<256x64xbf16>
      "tpu.vector_store"(%19, %arg15, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xbf16>, memref<256x64xbf16, #tpu.memory_space<vmem>>, index, index) -> ()
      "tpu.vector_store"(%cst_3, %arg13, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xf32>, memref<256x64xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      "tpu.vector_store"(%cst_3, %arg14, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xf32>, memref<256x64xf32, #tpu.memory_space<vmem>>, index, index) -> ()
    }
    %1 = arith.remsi %arg3, %c2_i32 : i32
    %2 = arith.muli %1, %c256_i32 : i32
    %3 = arith.muli %arg2, %c256_i32 : i32
    %4 = arith.addi %2, %c255_i32 : i32
    %5 = arith.minsi %4, %c511_i32 : i32
    %6 = arith.cmpi sle, %3, %5 : i32
    %7 = arith.subi %3, %2 : i32
    %8 = arith.cmpi sle, %7, %c-255_i32 : i32
    %9 = arith.andi %6, %8 : i1
    scf.if %9 {
      %13 = vector.load %arg4[%c0, %c0] : memref<64x256xbf16, #tpu.memory_space<vmem>>, vector<64x256xbf16>
      %14 = "tpu.transpose"(%13) {permutation = array<i64: 1, 0>} : (vector<64x256xbf16>) -> vector<256x64xbf16>
      "tpu.vector_store"(%14, %arg16, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xbf16>, memref<256x64xbf16, #tpu.memory_space<vmem>>, index, index) -> ()
      %15 = vector.load %arg7[%c0, %c0] : memref<64x256xbf16, #tpu.memory_space<vmem>>, vector<64x256xbf16>
      %16 = "tpu.transpose"(%15) {permutation = array<i64: 1, 0>} : (vector<64x256xbf16>) -> vector<256x64xbf16>
      "tpu.vector_store"(%16, %arg17, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xbf16>, memref<256x64xbf16, #tpu.memory_space<vmem>>, index, index) -> ()
      %17 = vector.load %arg8[%c0, %c0] : memref<256x128xf32, #tpu.memory_space<vmem>>, vector<256x1xf32>
      %18 = vector.load %arg16[%c0, %c0] : memref<256x64xbf16, #tpu.memory_space<vmem>>, vector<256x64xbf16>
      %19 = vector.load %arg17[%c0, %c0] : memref<256x64xbf16, #tpu.memory_space<vmem>>, vector<256x64xbf16>
      %20 = arith.mulf %17, %cst_2 : vector<256x1xf32>
      %21 = vector.load %arg9[%c0, %c0] : memref<256x128xf32, #tpu.memory_space<vmem>>, vector<256x1xf32>
      %22 = vector.load %arg12[%c0, %c0] : memref<256x64xbf16, #tpu.memory_space<vmem>>, vector<256x64xbf16>
      %23 = vector.load %arg15[%c0, %c0] : memref<256x64xbf16, #tpu.memory_space<vmem>>, vector<256x64xbf16>
      %24 = "tpu.matmul"(%18, %22, %cst_1) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [1], [0], [0], [0, 0, 1, 0], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<256x64xbf16>, vector<256x64xbf16>, vector<256x256xf32>) -> vector<256x256xf32>
      %25 = "tpu.matmul"(%19, %23, %cst_1) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [1], [0], [0], [0, 0, 1, 0], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<256x64xbf16>, vector<256x64xbf16>, vector<256x256xf32>) -> vector<256x256xf32>
      %26 = vector.broadcast %20 : vector<256x1xf32> to vector<256x256xf32>
      %27 = arith.subf %24, %26 : vector<256x256xf32>
      %28 = math.exp2 %27 : vector<256x256xf32>
      %29 = vector.broadcast %21 : vector<256x1xf32> to vector<256x256xf32>
      %30 = arith.subf %25, %29 : vector<256x256xf32>
      %31 = arith.mulf %28, %30 : vector<256x256xf32>
      %32 = arith.truncf %28 : vector<256x256xf32> to vector<256x256xbf16>
      %33 = "tpu.matmul"(%32, %19, %cst_3) {dimension_numbers = #tpu.dot_dimension_numbers<[0], [0], [1], [1], [0, 1, 1, 1], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<256x256xbf16>, vector<256x64xbf16>, vector<256x64xf32>) -> vector<256x64xf32>
      %34 = vector.load %arg14[%c0, %c0] : memref<256x64xf32, #tpu.memory_space<vmem>>, vector<256x64xf32>
      %35 = arith.addf %34, %33 : vector<256x64xf32>
      "tpu.vector_store"(%35, %arg14, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xf32>, memref<256x64xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      %36 = arith.truncf %31 : vector<256x256xf32> to vector<256x256xbf16>
      %37 = "tpu.matmul"(%36, %18, %cst_3) {dimension_numbers = #tpu.dot_dimension_numbers<[0], [0], [1], [1], [0, 1, 1, 1], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<256x256xbf16>, vector<256x64xbf16>, vector<256x64xf32>) -> vector<256x64xf32>
      %38 = vector.load %arg13[%c0, %c0] : memref<256x64xf32, #tpu.memory_space<vmem>>, vector<256x64xf32>
      %39 = arith.addf %38, %37 : vector<256x64xf32>
      "tpu.vector_store"(%39, %arg13, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xf32>, memref<256x64xf32, #tpu.memory_space<vmem>>, index, index) -> ()
    }
    %10 = arith.cmpi sgt, %7, %c-255_i32 : i32
    %11 = arith.andi %6, %10 : i1
    scf.if %11 {
      %13 = vector.load %arg4[%c0, %c0] : memref<64x256xbf16, #tpu.memory_space<vmem>>, vector<64x256xbf16>
      %14 = "tpu.transpose"(%13) {permutation = array<i64: 1, 0>} : (vector<64x256xbf16>) -> vector<256x64xbf16>
      "tpu.vector_store"(%14, %arg16, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xbf16>, memref<256x64xbf16, #tpu.memory_space<vmem>>, index, index) -> ()
      %15 = vector.load %arg7[%c0, %c0] : memref<64x256xbf16, #tpu.memory_space<vmem>>, vector<64x256xbf16>
      %16 = "tpu.transpose"(%15) {permutation = array<i64: 1, 0>} : (vector<64x256xbf16>) -> vector<256x64xbf16>
      "tpu.vector_store"(%16, %arg17, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xbf16>, memref<256x64xbf16, #tpu.memory_space<vmem>>, index, index) -> ()
      %17 = vector.load %arg8[%c0, %c0] : memref<256x128xf32, #tpu.memory_space<vmem>>, vector<256x1xf32>
      %18 = vector.load %arg16[%c0, %c0] : memref<256x64xbf16, #tpu.memory_space<vmem>>, vector<256x64xbf16>
      %19 = vector.load %arg17[%c0, %c0] : memref<256x64xbf16, #tpu.memory_space<vmem>>, vector<256x64xbf16>
      %20 = arith.mulf %17, %cst_2 : vector<256x1xf32>
      %21 = vector.load %arg9[%c0, %c0] : memref<256x128xf32, #tpu.memory_space<vmem>>, vector<256x1xf32>
      %22 = vector.load %arg12[%c0, %c0] : memref<256x64xbf16, #tpu.memory_space<vmem>>, vector<256x64xbf16>
      %23 = vector.load %arg15[%c0, %c0] : memref<256x64xbf16, #tpu.memory_space<vmem>>, vector<256x64xbf16>
      %24 = "tpu.matmul"(%18, %22, %cst_1) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [1], [0], [0], [0, 0, 1, 0], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<256x64xbf16>, vector<256x64xbf16>, vector<256x256xf32>) -> vector<256x256xf32>
      %25 = "tpu.matmul"(%19, %23, %cst_1) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [1], [0], [0], [0, 0, 1, 0], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<256x64xbf16>, vector<256x64xbf16>, vector<256x256xf32>) -> vector<256x256xf32>
      %26 = "tpu.iota"() {dimensions = array<i32: 0>} : () -> vector<256x256xi32>
      %27 = "tpu.iota"() {dimensions = array<i32: 1>} : () -> vector<256x256xi32>
      %28 = arith.subi %27, %26 : vector<256x256xi32>
      %29 = arith.cmpi sle, %28, %cst_0 : vector<256x256xi32>
      %30 = vector.broadcast %20 : vector<256x1xf32> to vector<256x256xf32>
      %31 = arith.subf %24, %30 : vector<256x256xf32>
      %32 = math.exp2 %31 : vector<256x256xf32>
      %33 = arith.select %29, %32, %cst_1 : vector<256x256xi1>, vector<256x256xf32>
      %34 = vector.broadcast %21 : vector<256x1xf32> to vector<256x256xf32>
      %35 = arith.subf %25, %34 : vector<256x256xf32>
      %36 = arith.mulf %33, %35 : vector<256x256xf32>
      %37 = arith.truncf %33 : vector<256x256xf32> to vector<256x256xbf16>
      %38 = "tpu.matmul"(%37, %19, %cst_3) {dimension_numbers = #tpu.dot_dimension_numbers<[0], [0], [1], [1], [0, 1, 1, 1], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<256x256xbf16>, vector<256x64xbf16>, vector<256x64xf32>) -> vector<256x64xf32>
      %39 = vector.load %arg14[%c0, %c0] : memref<256x64xf32, #tpu.memory_space<vmem>>, vector<256x64xf32>
      %40 = arith.addf %39, %38 : vector<256x64xf32>
      "tpu.vector_store"(%40, %arg14, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xf32>, memref<256x64xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      %41 = arith.truncf %36 : vector<256x256xf32> to vector<256x256xbf16>
      %42 = "tpu.matmul"(%41, %18, %cst_3) {dimension_numbers = #tpu.dot_dimension_numbers<[0], [0], [1], [1], [0, 1, 1, 1], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<256x256xbf16>, vector<256x64xbf16>, vector<256x64xf32>) -> vector<256x64xf32>
      %43 = vector.load %arg13[%c0, %c0] : memref<256x64xf32, #tpu.memory_space<vmem>>, vector<256x64xf32>
      %44 = arith.addf %43, %42 : vector<256x64xf32>
      "tpu.vector_store"(%44, %arg13, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xf32>, memref<256x64xf32, #tpu.memory_space<vmem>>, index, index) -> ()
    }
    %12 = arith.cmpi eq, %arg3, %c3_i32 : i32
    scf.if %12 {
      %13 = vector.load %arg13[%c0, %c0] : memref<256x64xf32, #tpu.memory_space<vmem>>, vector<256x64xf32>
      %14 = arith.mulf %13, %cst : vector<256x64xf32>
      %15 = "tpu.transpose"(%14) {permutation = array<i64: 1, 0>} : (vector<256x64xf32>) -> vector<64x256xf32>
      %16 = arith.truncf %15 : vector<64x256xf32> to vector<64x256xbf16>
      "tpu.vector_store"(%16, %arg10, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<64x256xbf16>, memref<64x256xbf16, #tpu.memory_space<vmem>>, index, index) -> ()
      %17 = vector.load %arg14[%c0, %c0] : memref<256x64xf32, #tpu.memory_space<vmem>>, vector<256x64xf32>
      %18 = "tpu.transpose"(%17) {permutation = array<i64: 1, 0>} : (vector<256x64xf32>) -> vector<64x256xf32>
      %19 = arith.truncf %18 : vector<64x256xf32> to vector<64x256xbf16>
      "tpu.vector_store"(%19, %arg11, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<64x256xbf16>, memref<64x256xbf16, #tpu.memory_space<vmem>>, index, index) -> ()
    }
    return
  }
  func.func @transform_0(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c511_i32 = arith.constant 511 : i32
    %c256_i32 = arith.constant 256 : i32
    %c0_i32 = arith.constant 0 : i32
    %c2_i32 = arith.constant 2 : i32
    %0 = arith.muli %arg1, %c2_i32 : i32
    %1 = arith.divsi %arg3, %c2_i32 : i32
    %2 = arith.addi %0, %1 : i32
    %3 = arith.remsi %arg3, %c2_i32 : i32
    %4 = arith.muli %arg2, %c256_i32 : i32
    %5 = arith.maxsi %4, %c0_i32 : i32
    %6 = arith.minsi %5, %c511_i32 : i32
    %7 = arith.divsi %6, %c256_i32 : i32
    %8 = arith.maxsi %3, %7 : i32
    return %arg0, %2, %c0_i32, %8 : i32, i32, i32, i32
  }
  func.func @transform_1(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %c0_i32, %arg2 : i32, i32, i32, i32
  }
  func.func @transform_2(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %c0_i32, %arg2 : i32, i32, i32, i32
  }
  func.func @transform_3(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c511_i32 = arith.constant 511 : i32
    %c256_i32 = arith.constant 256 : i32
    %c0_i32 = arith.constant 0 : i32
    %c2_i32 = arith.constant 2 : i32
    %0 = arith.muli %arg1, %c2_i32 : i32
    %1 = arith.divsi %arg3, %c2_i32 : i32
    %2 = arith.addi %0, %1 : i32
    %3 = arith.remsi %arg3, %c2_i32 : i32
    %4 = arith.muli %arg2, %c256_i32 : i32
    %5 = arith.maxsi %4, %c0_i32 : i32
    %6 = arith.minsi %5, %c511_i32 : i32
    %7 = arith.divsi %6, %c256_i32 : i32
    %8 = arith.maxsi %3, %7 : i32
    return %arg0, %2, %c0_i32, %8 : i32, i32, i32, i32
  }
  func.func @transform_4(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c511_i32 = arith.constant 511 : i32
    %c0_i32 = arith.constant 0 : i32
    %c256_i32 = arith.constant 256 : i32
    %c2_i32 = arith.constant 2 : i32
    %0 = arith.muli %arg1, %c2_i32 : i32
    %1 = arith.divsi %arg3, %c2_i32 : i32
    %2 = arith.addi %0, %1 : i32
    %3 = arith.remsi %arg3, %c2_i32 : i32
    %4 = arith.muli %arg2, %c256_i32 : i32
    %5 = arith.maxsi %4, %c0_i32 : i32
    %6 = arith.minsi %5, %c511_i32 : i32
    %7 = arith.divsi %6, %c256_i32 : i32
    %8 = arith.maxsi %3, %7 : i32
    return %arg0, %2, %8, %c0_i32 : i32, i32, i32, i32
  }
  func.func @transform_5(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c511_i32 = arith.constant 511 : i32
    %c0_i32 = arith.constant 0 : i32
    %c256_i32 = arith.constant 256 : i32
    %c2_i32 = arith.constant 2 : i32
    %0 = arith.muli %arg1, %c2_i32 : i32
    %1 = arith.divsi %arg3, %c2_i32 : i32
    %2 = arith.addi %0, %1 : i32
    %3 = arith.remsi %arg3, %c2_i32 : i32
    %4 = arith.muli %arg2, %c256_i32 : i32
    %5 = arith.maxsi %4, %c0_i32 : i32
    %6 = arith.minsi %5, %c511_i32 : i32
    %7 = arith.divsi %6, %c256_i32 : i32
    %8 = arith.maxsi %3, %7 : i32
    return %arg0, %2, %8, %c0_i32 : i32, i32, i32, i32
  }
  func.func @transform_6(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %c0_i32, %arg2 : i32, i32, i32, i32
  }
  func.func @transform_7(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %c0_i32, %arg2 : i32, i32, i32, i32
  }
}
