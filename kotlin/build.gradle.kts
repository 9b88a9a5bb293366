// Android library: the uniffi-generated bindings (src/main/kotlin/com/tokenexchange/token_exchange.kt),
// the idiomatic layer beside them, Android-only helpers (src/android/kotlin) and the Rust library
// for each ABI (src/main/jniLibs/<abi>/libtoken_exchange_mobile.so, the phone library, built by build-android-libs.sh).
plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.0"
}

// Maven coordinates com.tokenexchange:token-exchange:<version> (the artifact id is the root
// project's name, settings.gradle.kts). The version is the workspace's (Cargo.toml
// [workspace.package]): `cargo xtask version` fails when they differ, and
// `cargo xtask version --set X.Y.Z` changes both.
group = "com.tokenexchange"
version = "0.1.0"

android {
    namespace = "com.tokenexchange"
    compileSdk = 35

    defaultConfig {
        // java.time.Duration (timeouts, retryAfter) needs API 26.
        minSdk = 26
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets["main"].apply {
        java.srcDirs("src/main/kotlin", "src/android/kotlin")
        jniLibs.srcDirs("src/main/jniLibs")
    }
    // The JUnit tests run on the host JVM against the host build of the library
    // (cargo build -p token-exchange-mobile) and a running emulator (TOKEN_EXCHANGE_EMULATOR_URL).
    sourceSets["test"].java.srcDirs("src/test/kotlin")

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    testOptions {
        unitTests.all {
            it.systemProperty(
                "jna.library.path",
                System.getenv("TOKEN_EXCHANGE_LIB_DIR")
                    ?: "${rootDir.parentFile}/target/debug",
            )
        }
    }
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    // JNA as an AAR: it carries libjnidispatch.so for every Android ABI.
    implementation("net.java.dev.jna:jna:5.15.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.9.0")

    testImplementation("junit:junit:4.13.2")
    // Host unit tests load the desktop JNA (the AAR has no host native part).
    testImplementation("net.java.dev.jna:jna:5.15.0")
}
