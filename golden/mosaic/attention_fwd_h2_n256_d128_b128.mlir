module attributes {stable_mosaic.version = 15 : i64} {
  func.func @attention_fwd(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: memref<128x128xbf16, #tpu.memory_space<vmem>>, %arg4: memref<128x128xbf16, #tpu.memory_space<vmem>>, %arg5: memref<128x128xbf16, #tpu.memory_space<vmem>>, %arg6: memref<128x128xbf16, #tpu.memory_space<vmem>>, %arg7: memref<128x1xf32, #tpu.memory_space<vmem>>, %arg8: memref<128x1xf32, #tpu.memory_space<vmem>>, %arg9: memref<128x128xf32, #tpu.memory_space<vmem>>) attributes {dimension_semantics = [#tpu.dimension_semantics<parallel>, #tpu.dimension_semantics<parallel>, #tpu.dimension_semantics<arbitrary>], iteration_bounds = array<i64: 2, 2, 2>, scalar_prefetch = 0 : i64, scratch_operands = 3 : i64, tpu.core_type = #tpu.core_type<tc>, window_params = [{transform_indices = @transform_0, window_bounds = array<i64: 1, 128, 128>}, {transform_indices = @transform_1, window_bounds = array<i64: 1, 128, 128>}, {transform_indices = @transform_2, window_bounds = array<i64: 1, 128, 128>}, {transform_indices = @transform_3, window_bounds = array<i64: 1, 128, 128>}]} {
    %c1_i32 = arith.constant 1 : i32
    %cst = arith.constant dense<0.000000e+00> : vector<128xf32>
    %cst_0 = arith.constant dense<0xFF800000> : vector<128xf32>
    %cst_1 = arith.constant dense<0.0883883461> : vector<128x128xf32>
    %c0 = arith.constant 0 : index
    %cst_2 = arith.constant dense<0.000000e+00> : vector<128x128xf32>
    %cst_3 = arith.constant dense<0.000000e+00> : vector<128x1xf32>
    %cst_4 = arith.constant dense<0xFF800000> : vector<128x1xf32>
    %c0_i32 = arith.constant 0 : i32
    %0 = arith.cmpi eq, %arg2, %c0_i32 : i32
    scf.if %0 {
      "tpu.vector_store"(%cst_4, %arg7, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<128x1xf32>, memref<128x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      "tpu.vector_store"(%cst_3, %arg8, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<128x1xf32>, memref<128x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      "tpu.vector_store"(%cst_2, %arg9, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<128x128xf32>, memref<128x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()
    }
    %1 = vector.load %arg3[%c0, %c0] : memref<128x128xbf16, #tpu.memory_space<vmem>>, vector<128x128xbf16>
    %2 = vector.load %arg4[%c0, %c0] : memref<128x128xbf16, #tpu.memory_space<vmem>>, vector<128x128xbf16>
    %3 = vector.load %arg5[%c0, %c0] : memref<128x128xbf16, #tpu.memory_space<vmem>>, vector<128x128xbf16>
    %4 = "tpu.matmul"(%1, %2, %cst_2) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [1], [0], [0], [0, 0, 1, 0], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<128x128xbf16>, vector<128x128xbf16>, vector<128x128xf32>) -> vector<128x128xf32>
    %5 = arith.mulf %4, %cst_1 : vector<128x128xf32>
    %6 = vector.load %arg7[%c0, %c0] : memref<128x1xf32, #tpu.memory_space<vmem>>, vector<128x1xf32>
    %7 = vector.load %arg8[%c0, %c0] : memref<128x1xf32, #tpu.memory_space<vmem>>, vector<128x1xf32>
    %8 = vector.load %arg9[%c0, %c0] : memref<128x128xf32, #tpu.memory_space<vmem>>, vector<128x128xf32>
    %9 = vector.multi_reduction <maximumf>, %5, %cst_0 [1] : vector<128x128xf32> to vector<128xf32>
    %10 = vector.shape_cast %9 : vector<128xf32> to vector<128x1xf32>
    %11 = arith.maximumf %6, %10 : vector<128x1xf32>
    %12 = vector.broadcast %11 : vector<128x1xf32> to vector<128x128xf32>
    %13 = arith.subf %5, %12 : vector<128x128xf32>
    %14 = math.exp %13 : vector<128x128xf32>
    %15 = arith.subf %6, %11 : vector<128x1xf32>
    %16 = math.exp %15 : vector<128x1xf32>
    %17 = arith.mulf %16, %7 : vector<128x1xf32>
    %18 = vector.multi_reduction <add>, %14, %cst [1] : vector<128x128xf32> to vector<128xf32>
    %19 = vector.shape_cast %18 : vector<128xf32> to vector<128x1xf32>
    %20 = arith.addf %17, %19 : vector<128x1xf32>
    %21 = vector.broadcast %16 : vector<128x1xf32> to vector<128x128xf32>
    %22 = arith.mulf %8, %21 : vector<128x128xf32>
    %23 = arith.truncf %14 : vector<128x128xf32> to vector<128x128xbf16>
    %24 = "tpu.matmul"(%23, %3, %cst_2) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [0], [0], [1], [0, 0, 1, 1], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<128x128xbf16>, vector<128x128xbf16>, vector<128x128xf32>) -> vector<128x128xf32>
    %25 = arith.addf %22, %24 : vector<128x128xf32>
    "tpu.vector_store"(%11, %arg7, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<128x1xf32>, memref<128x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
    "tpu.vector_store"(%20, %arg8, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<128x1xf32>, memref<128x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
    "tpu.vector_store"(%25, %arg9, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<128x128xf32>, memref<128x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()
    %26 = arith.cmpi eq, %arg2, %c1_i32 : i32
    scf.if %26 {
      %27 = vector.broadcast %20 : vector<128x1xf32> to vector<128x128xf32>
      %28 = arith.divf %25, %27 : vector<128x128xf32>
      %29 = arith.truncf %28 : vector<128x128xf32> to vector<128x128xbf16>
      "tpu.vector_store"(%29, %arg6, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<128x128xbf16>, memref<128x128xbf16, #tpu.memory_space<vmem>>, index, index) -> ()
    }
    return
  }
  func.func @transform_0(%arg0: i32, %arg1: i32, %arg2: i32) -> (i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %c0_i32 : i32, i32, i32
  }
  func.func @transform_1(%arg0: i32, %arg1: i32, %arg2: i32) -> (i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg2, %c0_i32 : i32, i32, i32
  }
  func.func @transform_2(%arg0: i32, %arg1: i32, %arg2: i32) -> (i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg2, %c0_i32 : i32, i32, i32
  }
  func.func @transform_3(%arg0: i32, %arg1: i32, %arg2: i32) -> (i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %c0_i32 : i32, i32, i32
  }
}
