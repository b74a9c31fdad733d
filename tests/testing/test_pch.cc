// The translation unit that builds the tests' precompiled header (testing/test_pch.h); it defines
// nothing.
