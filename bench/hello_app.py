"""The smallest Flet app, served the way Terrain is: the bound for cold start."""

import sys

import flet as ft


def main(page: ft.Page):
    page.add(ft.Semantics(identifier="hello", content=ft.Text("Bonjour")))


if __name__ == "__main__":
    ft.run(main, view=ft.AppView.WEB_BROWSER, host="127.0.0.1", port=int(sys.argv[1]), no_cdn=True)
