# The warning set of docs/conventions.md (after curl's PickyWarnings.cmake).
set(KREG_WARNINGS
    -Wall -Wextra -Wshadow -Wconversion -Wno-sign-conversion
    -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition
    -Wpointer-arith -Wcast-qual -Wcast-align -Wwrite-strings -Wundef -Wvla
    -Wformat=2 -Wimplicit-fallthrough)
if(CMAKE_C_COMPILER_ID MATCHES "Clang")
    list(APPEND KREG_WARNINGS -Wdocumentation)
endif()
# KREG_WERROR (CMakeLists.txt): empty means by build type
if(KREG_WERROR STREQUAL "")
    list(APPEND KREG_WARNINGS
         "$<$<NOT:$<CONFIG:Release,MinSizeRel>>:-Werror>")
elseif(KREG_WERROR)
    list(APPEND KREG_WARNINGS -Werror)
endif()

# kreg_target_defaults(target): C11, POSIX, warnings, hidden visibility.
function(kreg_target_defaults tgt)
    target_compile_options(${tgt} PRIVATE ${KREG_WARNINGS})
    target_compile_definitions(${tgt} PRIVATE _POSIX_C_SOURCE=200809L)
    set_target_properties(${tgt} PROPERTIES
        C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF
        C_VISIBILITY_PRESET hidden)
endfunction()
