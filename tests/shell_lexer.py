"""Just enough shell to find each simple command of a script: its words and the line it starts on.

Handles quotes, `${...}`, `$(...)` and `<(...)` (the inner command is lexed on its own), comments and
line continuations. The AWS CLI scan in aws_cli_scan.py builds on it.
"""

from __future__ import annotations

import re

# Words that may stand before the command itself (`if aws ...`, `sudo aws ...`).
COMMAND_PREFIXES = {"if", "then", "else", "elif", "do", "while", "until", "!", "{", "time", "command", "exec",
                    "nohup", "sudo", "env"}


def shell_commands(script: str) -> list[tuple[int, list[str]]]:
    commands: list[tuple[int, list[str]]] = []
    stack: list[tuple[list[str], str, int, bool]] = []  # enclosing (words, word, start line, in quotes)
    words: list[str] = []
    word = ""
    started = False  # the current word has begun (an empty quoted word counts)
    start = line = 1
    in_dq = False
    i = 0

    def end_word():
        nonlocal word, started
        if started:
            words.append(word)
        word, started = "", False

    def end_command():
        nonlocal words, start
        end_word()
        if words:
            commands.append((start, words))
        words, start = [], line

    while i < len(script):
        c, nxt = script[i], script[i + 1] if i + 1 < len(script) else ""
        if c == "\\" and nxt:
            if nxt == "\n":
                line += 1
            else:
                word, started = word + nxt, True
            i += 2
            continue
        if c in "$<" and nxt == "(":  # command or process substitution: lex the inner command on its own
            stack.append((words, word + "$(...)", start, in_dq))
            words, word, started, start, in_dq = [], "", False, line, False
            i += 2
            continue
        if in_dq:
            if c == '"':
                in_dq = False
            elif c == "$" and nxt == "{":
                end = script.index("}", i)
                word += script[i:end + 1]
                i = end
            else:
                word += c
                line += c == "\n"
            i += 1
            continue
        if c == ")" and stack:
            end_command()
            words, word, start, in_dq = stack.pop()
            started = True
            i += 1
            continue
        if c == "#" and not started:
            i = script.find("\n", i)
            i = len(script) if i < 0 else i
            continue
        if c == "'":
            end = script.index("'", i + 1)
            word, started = word + script[i + 1:end], True
            line += script.count("\n", i, end)
            i = end + 1
            continue
        if c == '"':
            in_dq, started = True, True
        elif c == "$" and nxt == "{":
            end = script.index("}", i)
            word, started = word + script[i:end + 1], True
            i = end
        elif c in " \t":
            end_word()
        elif c in "\n;|&()":
            end_command()
            line += c == "\n"
            start = line
        else:
            word, started = word + c, True
        i += 1
    end_command()
    return commands


def command_words(words: list[str]) -> list[str]:
    """Drop leading assignments and prefixes (`X=1 aws ...`, `if aws ...`, `timeout 5 aws ...`)."""
    i = 0
    while i < len(words):
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=.*", words[i], re.S) or words[i] in COMMAND_PREFIXES:
            i += 1
        elif words[i] == "timeout" and i + 1 < len(words):
            i += 2
        else:
            break
    return words[i:]
