module attributes {stable_mosaic.version = 15 : i64} {
  func.func @flash_attention_bwd_dq(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32, %arg4: memref<64x256xbf16, #tpu.memory_space<vmem>>, %arg5: memref<64x256xbf16, #tpu.memory_space<vmem>>, %arg6: memref<64x256xbf16, #tpu.memory_space<vmem>>, %arg7: memref<64x256xbf16, #tpu.memory_space<vmem>>, %arg8: memref<64x256xbf16, #tpu.memory_space<vmem>>, %arg9: memref<256x128xf32, #tpu.memory_space<vmem>>, %arg10: memref<64x256xbf16, #tpu.memory_space<vmem>>, %arg11: memref<256x128xf32, #tpu.memory_space<vmem>>, %arg12: memref<256x64xbf16, #tpu.memory_space<vmem>>, %arg13: memref<256x64xf32, #tpu.memory_space<vmem>>, %arg14: memref<256x1xf32, #tpu.memory_space<vmem>>, %arg15: memref<256x64xbf16, #tpu.memory_space<vmem>>) attributes {dimension_semantics = [#tpu.dimension_semantics<parallel>, #tpu.dimension_semantics<parallel>, #tpu.dimension_semantics<parallel>, #tpu.dimension_semantics<arbitrary>], iteration_bounds = array<i64: 1, 2, 2, 2>, scalar_prefetch = 0 : i64, scratch_operands = 4 : i64, tpu.core_type = #tpu.core_type<tc>, window_params = [{transform_indices = @transform_0, window_bounds = array<i64: 1, 1, 64, 256>}, {transform_indices = @transform_1, window_bounds = array<i64: 1, 1, 64, 256>}, {transform_indices = @transform_2, window_bounds = array<i64: 1, 1, 64, 256>}, {transform_indices = @transform_3, window_bounds = array<i64: 1, 1, 64, 256>}, {transform_indices = @transform_4, window_bounds = array<i64: 1, 1, 64, 256>}, {transform_indices = @transform_5, window_bounds = array<i64: 1, 1, 256, 128>}, {transform_indices = @transform_6, window_bounds = array<i64: 1, 1, 64, 256>}, {transform_indices = @transform_7, window_bounds = array<i64: 1, 1, 256, 128>}]} {
    %cst = arith.constant dense<1.250000e-01> : vector<256x64xf32>
    %c1_i32 = arith.constant 1 : i32
    %cst_0 = arith.constant dense<0> : vector<256x256xi32>
    %cst_1 = arith.constant dense<0.000000e+00> : vector<256x256xf32>
    %cst_2 = arith.constant dense<1.44269502> : vector<256x1xf32>
    %c-255_i32 = arith.constant -255 : i32
    %c511_i32 = arith.constant 511 : i32
    %c255_i32 = arith.constant 255 : i32
    %c256_i32 = arith.constant 256 : i32
    %cst_3 = arith.constant dense<0.000000e+00> : vector<256xf32>
    %cst_4 = arith.constant dense<0.000000e+00> : vector<256x64xf32>
    %cst_5 = arith.constant dense<0.180336878> : vector<256x64xf32>
    %c0 = arith.constant 0 : index
    %c0_i32 = arith.constant 0 : i32
    %0 = arith.cmpi eq, %arg3, %c0_i32 : i32
    scf.if %0 {
      %12 = vector.load %arg4[%c0, %c0] : memref<64x256xbf16, #tpu.memory_space<vmem>>, vector<64x256xbf16>
      %13 = "tpu.transpose"(%12) {permutation = array<i64: 1, 0>} : (vector<64x256xbf16>) -> vector<256x64xbf16>
      %14 = arith.extf %13 : vector<256x64xbf16> to vector<256x64xf32>
      %15 = arith.mulf %14, %cst_5 : vector<256x64xf32>
      %16 = arith.truncf %15 : vector<256x64xf32> to vector<256x64xbf16>
      "tpu.vector_store"(%16, %arg12, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xbf16>, memref<256x64xbf16, #tpu.memory_space<vmem>>, index, index) -> ()
    }
    scf.if %0 {
      "tpu.vector_store"(%cst_4, %arg13, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xf32>, memref<256x64xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      %12 = vector.load %arg7[%c0, %c0] : memref<64x256xbf16, #tpu.memory_space<vmem>>, vector<64x256xbf16>
      %13 = vector.load %arg8[%c0, %c0] : memref<64x256xbf16, #tpu.memory_space<vmem>>, vector<64x256xbf16>
      %14 = arith.extf %12 : vector<64x256xbf16> to vector<64x256xf32>
      %15 = arith.extf %13 : vector<64x256xbf16> to vector<64x256xf32>
      %16 = "tpu.transpose"(%14) {permutation = array<i64: 1, 0>} : (vector<64x256xf32>) -> vector<256x64xf32>
      %17 = "tpu.transpose"(%15) {permutation = array<i64: 1, 0>} : (vector<64x256xf32>) -> vector<256x64xf32>
      %18 = arith.truncf %17 : vector<256x64xf32> to vector<256x64xbf16>
      "tpu.vector_store"(%18, %arg15, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xbf16>, memref<256x64xbf16, #tpu.memory_space<vmem>>, index, index) -> ()
      %19 = arith.mulf %16, %17 : vector<256x64xf32>
      %20 = vector.multi_reduction <add>, %19, %cst_3 [1] : vector<256x64xf32> to vector<256xf32>
      %21 = vector.shape_cast %20 : vector<256xf32> to vector<256x1xf32>
      "tpu.vector_store"(%21, %arg14, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x1xf32>, memref<256x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      %22 = vector.broadcast %21 : vector<256x1xf32> to vector<256x128xf32>
      "tpu.vector_store"(%22, %arg11, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x128xf32>, memref<256x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()
    }
    %1 = arith.muli %arg2, %c256_i32 : i32
    %2 = arith.muli %arg3, %c256_i32 : i32
    %3 = arith.addi %1, %c255_i32 : i32
    %4 = arith.minsi %3, %c511_i32 : i32
    %5 = arith.cmpi sle, %2, %4 : i32
    %6 = arith.subi %2, %1 : i32
    %7 = arith.cmpi sle, %6, %c-255_i32 : i32
    %8 = arith.andi %5, %7 : i1
    scf.if %8 {
      %12 = vector.load %arg9[%c0, %c0] : memref<256x128xf32, #tpu.memory_space<vmem>>, vector<256x1xf32>
      %13 = vector.load %arg12[%c0, %c0] : memref<256x64xbf16, #tpu.memory_space<vmem>>, vector<256x64xbf16>
      %14 = vector.load %arg15[%c0, %c0] : memref<256x64xbf16, #tpu.memory_space<vmem>>, vector<256x64xbf16>
      %15 = arith.mulf %12, %cst_2 : vector<256x1xf32>
      %16 = vector.load %arg14[%c0, %c0] : memref<256x1xf32, #tpu.memory_space<vmem>>, vector<256x1xf32>
      %17 = vector.load %arg5[%c0, %c0] : memref<64x256xbf16, #tpu.memory_space<vmem>>, vector<64x256xbf16>
      %18 = vector.load %arg6[%c0, %c0] : memref<64x256xbf16, #tpu.memory_space<vmem>>, vector<64x256xbf16>
      %19 = "tpu.matmul"(%13, %17, %cst_1) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [0], [0], [1], [0, 0, 1, 1], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<256x64xbf16>, vector<64x256xbf16>, vector<256x256xf32>) -> vector<256x256xf32>
      %20 = "tpu.matmul"(%14, %18, %cst_1) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [0], [0], [1], [0, 0, 1, 1], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<256x64xbf16>, vector<64x256xbf16>, vector<256x256xf32>) -> vector<256x256xf32>
      %21 = vector.broadcast %15 : vector<256x1xf32> to vector<256x256xf32>
      %22 = arith.subf %19, %21 : vector<256x256xf32>
      %23 = math.exp2 %22 : vector<256x256xf32>
      %24 = vector.broadcast %16 : vector<256x1xf32> to vector<256x256xf32>
      %25 = arith.subf %20, %24 : vector<256x256xf32>
      %26 = arith.mulf %23, %25 : vector<256x256xf32>
      %27 = arith.truncf %26 : vector<256x256xf32> to vector<256x256xbf16>
      %28 = "tpu.matmul"(%27, %17, %cst_4) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [1], [0], [0], [0, 0, 1, 0], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<256x256xbf16>, vector<64x256xbf16>, vector<256x64xf32>) -> vector<256x64xf32>
      %29 = vector.load %arg13[%c0, %c0] : memref<256x64xf32, #tpu.memory_space<vmem>>, vector<256x64xf32>
      %30 = arith.addf %29, %28 : vector<256x64xf32>
      "tpu.vector_store"(%30, %arg13, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xf32>, memref<256x64xf32, #tpu.memory_space<vmem>>, index, index) -> ()
    }
    %9 = arith.cmpi sgt, %6, %c-255_i32 : i32
    %10 = arith.andi %5, %9 : i1
    scf.if %10 {
      %12 = vector.load %arg9[%c0, %c0] : memref<256x128xf32, #tpu.memory_space<vmem>>, vector<256x1xf32>
      %13 = vector.load %arg12[%c0, %c0] : memref<256x64xbf16, #tpu.memory_space<vmem>>, vector<256x64xbf16>
      %14 = vector.load %arg15[%c0, %c0] : memref<256x64xbf16, #tpu.memory_space<vmem>>, vector<256x64xbf16>
      %15 = arith.mulf %12, %cst_2 : vector<256x1xf32>
      %16 = vector.load %arg14[%c0, %c0] : memref<256x1xf32, #tpu.memory_space<vmem>>, vector<256x1xf32>
      %17 = vector.load %arg5[%c0, %c0] : memref<64x256xbf16, #tpu.memory_space<vmem>>, vector<64x256xbf16>
      %18 = vector.load %arg6[%c0, %c0] : memref<64x256xbf16, #tpu.memory_space<vmem>>, vector<64x256xbf16>
      %19 = "tpu.matmul"(%13, %17, %cst_1) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [0], [0], [1], [0, 0, 1, 1], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<256x64xbf16>, vector<64x256xbf16>, vector<256x256xf32>) -> vector<256x256xf32>
      %20 = "tpu.matmul"(%14, %18, %cst_1) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [0], [0], [1], [0, 0, 1, 1], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<256x64xbf16>, vector<64x256xbf16>, vector<256x256xf32>) -> vector<256x256xf32>
      %21 = "tpu.iota"() {dimensions = array<i32: 0>} : () -> vector<256x256xi32>
      %22 = "tpu.iota"() {dimensions = array<i32: 1>} : () -> vector<256x256xi32>
      %23 = arith.subi %22, %21 : vector<256x256xi32>
      %24 = arith.cmpi sle, %23, %cst_0 : vector<256x256xi32>
      %25 = vector.broadcast %15 : vector<256x1xf32> to vector<256x256xf32>
      %26 = arith.subf %19, %25 : vector<256x256xf32>
      %27 = math.exp2 %26 : vector<256x256xf32>
      %28 = arith.select %24, %27, %cst_1 : vector<256x256xi1>, vector<256x256xf32>
      %29 = vector.broadcast %16 : vector<256x1xf32> to vector<256x256xf32>
      %30 = arith.subf %20, %29 : vector<256x256xf32>
      %31 = arith.mulf %28, %30 : vector<256x256xf32>
      %32 = arith.truncf %31 : vector<256x256xf32> to vector<256x256xbf16>
      %33 = "tpu.matmul"(%32, %17, %cst_4) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [1], [0], [0], [0, 0, 1, 0], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<256x256xbf16>, vector<64x256xbf16>, vector<256x64xf32>) -> vector<256x64xf32>
      %34 = vector.load %arg13[%c0, %c0] : memref<256x64xf32, #tpu.memory_space<vmem>>, vector<256x64xf32>
      %35 = arith.addf %34, %33 : vector<256x64xf32>
      "tpu.vector_store"(%35, %arg13, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xf32>, memref<256x64xf32, #tpu.memory_space<vmem>>, index, index) -> ()
    }
    %11 = arith.cmpi eq, %arg3, %c1_i32 : i32
    scf.if %11 {
      %12 = vector.load %arg13[%c0, %c0] : memref<256x64xf32, #tpu.memory_space<vmem>>, vector<256x64xf32>
      %13 = arith.mulf %12, %cst : vector<256x64xf32>
      %14 = "tpu.transpose"(%13) {permutation = array<i64: 1, 0>} : (vector<256x64xf32>) -> vector<64x256xf32>
      %15 = arith.truncf %14 : vector<64x256xf32> to vector<64x256xbf16>
      "tpu.vector_store"(%15, %arg10, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<64x256xbf16>, memref<64x256xbf16, #tpu.memory_space<vmem>>, index, index) -> ()
    }
    return
  }
  func.func @transform_0(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %c0_i32, %arg2 : i32, i32, i32, i32
  }
  func.func @transform_1(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c511_i32 = arith.constant 511 : i32
    %c255_i32 = arith.constant 255 : i32
    %c256_i32 = arith.constant 256 : i32
    %c0_i32 = arith.constant 0 : i32
    %c2_i32 = arith.constant 2 : i32
    %0 = arith.divsi %arg1, %c2_i32 : i32
    %1 = arith.muli %arg2, %c256_i32 : i32
    %2 = arith.addi %1, %c255_i32 : i32
    %3 = arith.minsi %2, %c511_i32 : i32
    %4 = arith.maxsi %3, %c0_i32 : i32
    %5 = arith.minsi %4, %c511_i32 : i32
    %6 = arith.divsi %5, %c256_i32 : i32
    %7 = arith.minsi %arg3, %6 : i32
    return %arg0, %0, %c0_i32, %7 : i32, i32, i32, i32
  }
  func.func @transform_2(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c511_i32 = arith.constant 511 : i32
    %c255_i32 = arith.constant 255 : i32
    %c256_i32 = arith.constant 256 : i32
    %c0_i32 = arith.constant 0 : i32
    %c2_i32 = arith.constant 2 : i32
    %0 = arith.divsi %arg1, %c2_i32 : i32
    %1 = arith.muli %arg2, %c256_i32 : i32
    %2 = arith.addi %1, %c255_i32 : i32
    %3 = arith.minsi %2, %c511_i32 : i32
    %4 = arith.maxsi %3, %c0_i32 : i32
    %5 = arith.minsi %4, %c511_i32 : i32
    %6 = arith.divsi %5, %c256_i32 : i32
    %7 = arith.minsi %arg3, %6 : i32
    return %arg0, %0, %c0_i32, %7 : i32, i32, i32, i32
  }
  func.func @transform_3(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %c0_i32, %arg2 : i32, i32, i32, i32
  }
  func.func @transform_4(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %c0_i32, %arg2 : i32, i32, i32, i32
  }
  func.func @transform_5(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %arg2, %c0_i32 : i32, i32, i32, i32
  }
  func.func @transform_6(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %c0_i32, %arg2 : i32, i32, i32, i32
  }
  func.func @transform_7(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %arg2, %c0_i32 : i32, i32, i32, i32
  }
}
