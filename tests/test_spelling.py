from bindgen import spelling


def test_type_parameters_are_named_by_depth_and_index():
    names = [["T", "BlockDimX"], ["ITEMS_PER_THREAD", "ScanOp"]]
    assert spelling.name_type_parameters("type-parameter-0-0 (&)[ITEMS_PER_THREAD]", names) == "T (&)[ITEMS_PER_THREAD]"
    assert spelling.name_type_parameters("type-parameter-1-1", names) == "ScanOp"
    # unknown positions are left alone (and then count as internal)
    assert spelling.name_type_parameters("type-parameter-2-0", names) == "type-parameter-2-0"
    assert spelling.is_internal("type-parameter-2-0")


def test_own_scope_is_stripped():
    assert spelling.strip_own_scope("cub::BlockScan::TempStorage &", "cub::BlockScan", "BlockScan") == "TempStorage &"
    assert spelling.strip_own_scope("BlockScan<T, 1>::TempStorage &", "cub::BlockScan", "BlockScan") == "TempStorage &"
    assert spelling.strip_own_scope("cub::BlockScanAlgorithm", "cub::BlockScan", "BlockScan") == "cub::BlockScanAlgorithm"


def test_internal_spellings_are_recognised():
    for s in (
        "Uninitialized<decltype(temp_storage_helper())> &",
        "detail::warp_threads",
        "typename _IfImpl<true>::template _Select<A, B>::TempStorage &",
        "__cccl_true_",
    ):
        assert spelling.is_internal(s), s
    for s in ("T (&)[ItemsPerThread]", "TempStorage &", "cub::BlockScanAlgorithm", "int", "const T &"):
        assert not spelling.is_internal(s), s


def test_nested_temp_storage_reference():
    assert spelling.nested_temp_storage("typename BlockMergeSortStrategyT::TempStorage &")
    assert spelling.nested_temp_storage("typename Base<A, B<C>>::TempStorage&")
    assert not spelling.nested_temp_storage("TempStorage &")
    assert not spelling.nested_temp_storage("T &")


def test_classify_passing():
    assert spelling.classify("T (&)[ItemsPerThread]") == ("array_reference", False, "ItemsPerThread")
    assert spelling.classify("const T (&)[ITEMS_PER_THREAD]") == ("array_reference", True, "ITEMS_PER_THREAD")
    assert spelling.classify("T &") == ("reference", False, None)
    assert spelling.classify("const InputType &") == ("reference", True, None)
    assert spelling.classify("CounterT *") == ("pointer", False, None)
    assert spelling.classify("int") == ("value", False, None)


def test_enable_if_is_unwrapped():
    assert spelling.unwrap_enable_if("::cuda::std::enable_if_t<!::cuda::std::is_convertible_v<D, int>>") == (
        "void",
        "!::cuda::std::is_convertible_v<D, int>",
    )
    assert spelling.unwrap_enable_if("typename enable_if<(N > 1), T>::type") == ("T", "(N > 1)")
    assert spelling.unwrap_enable_if("void") == ("void", None)


def test_split_template_args_respects_nesting():
    head, args = spelling.split_template_args("Base<KeyT, ValueT, X * Y, Derived<KeyT, A>, true>")
    assert head == "Base"
    assert args == ["KeyT", "ValueT", "X * Y", "Derived<KeyT, A>", "true"]


def test_requires_params():
    assert spelling.is_requires_param("__cccl_true_")
    assert spelling.is_requires_param("")
    assert not spelling.is_requires_param("InputType")
