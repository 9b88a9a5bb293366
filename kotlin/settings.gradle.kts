// The Android library module of token-exchange (see README.md: this build needs the Android SDK
// and the native libraries built by build-android-libs.sh; it cannot run on the Linux CI machine,
// where `cargo xtask test --lang kotlin` compiles and tests the same sources with kotlinc).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "token-exchange"
